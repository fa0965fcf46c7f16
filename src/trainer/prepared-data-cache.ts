/**
 * Training runs on unchanged data share their prepared data (the seeded split, the rating and
 * ranking baselines, EASE): training several kinds one after another, as an admin comparing
 * kinds or the test suite does, fits the ranking baselines once instead of once per run (on the
 * sample, three EASE solves are most of a run's preparation). An entry lives a short while after
 * its last use only, since it holds EASE's dense items × items weights.
 */
import { createHash } from 'node:crypto';
import type { RatingsDataset } from './dataset';

/** How long an unused entry is kept. */
export const PREPARED_DATA_TTL_MS = 120_000;

/** A digest of everything a preparation reads: the dataset and the options that shape it. */
export function preparationKey(dataset: RatingsDataset, options: Record<string, unknown>): string {
  const hash = createHash('sha256');
  const arrays = [dataset.userIds, dataset.itemIds, dataset.users, dataset.items, dataset.ratings, dataset.watched?.users, dataset.watched?.items];
  for (const array of arrays) {
    hash.update(array === undefined ? 'none' : `${array.length}:`);
    if (array !== undefined) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  hash.update(JSON.stringify(dataset.itemMetadata));
  hash.update(JSON.stringify(options));
  return hash.digest('hex');
}

/** One entry: the last preparation, while it is used now and then. */
export class PreparedDataCache<Prepared> {
  private entry: { key: string; value: Promise<Prepared>; timer: NodeJS.Timeout } | null = null;

  constructor(private readonly ttlMs = PREPARED_DATA_TTL_MS) {}

  /** The value prepared for `key`, preparing it (and dropping any other entry) when there is none. */
  get(key: string, prepare: () => Promise<Prepared>): Promise<Prepared> {
    if (this.entry?.key !== key) {
      this.clear();
      const value = prepare();
      // A failed preparation is not kept: the next run tries again.
      value.catch(() => {
        if (this.entry?.value === value) this.clear();
      });
      this.entry = { key, value, timer: this.expiry() };
    } else {
      clearTimeout(this.entry.timer);
      this.entry.timer = this.expiry();
    }
    return this.entry.value;
  }

  clear(): void {
    if (this.entry) clearTimeout(this.entry.timer);
    this.entry = null;
  }

  private expiry(): NodeJS.Timeout {
    // unref: a cached entry never keeps a CLI process alive.
    return setTimeout(() => this.clear(), this.ttlMs).unref();
  }
}
