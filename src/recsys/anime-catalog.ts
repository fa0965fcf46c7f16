/**
 * The catalog in memory (12k rows, read on almost every request): the anime loader reads it
 * instead of the database. Ids it does not know are fetched (and kept); the whole catalog is
 * re-read in the background every `refreshMs`, so ingested changes show within that time.
 */
import type { Database } from '../db/database';
import type { Logger } from '../logger';
import { findAnimeByIds, type Anime } from './catalog';

export const CATALOG_REFRESH_MS = 30_000;

export class AnimeCatalog {
  private byId = new Map<number, Anime>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly logger?: Logger,
  ) {}

  async load(): Promise<void> {
    const all = await this.db.prisma().anime.findMany();
    this.byId = new Map(all.map((anime) => [anime.id, anime]));
  }

  /** Anime for each id, in order, null where there is none (the DataLoader batch function). */
  async find(ids: readonly number[]): Promise<(Anime | null)[]> {
    const missing = ids.filter((id) => !this.byId.has(id));
    if (missing.length > 0) {
      for (const anime of await findAnimeByIds(this.db, missing)) if (anime) this.byId.set(anime.id, anime);
    }
    return ids.map((id) => this.byId.get(id) ?? null);
  }

  start(refreshMs = CATALOG_REFRESH_MS): void {
    this.timer = setInterval(() => {
      this.load().catch((error: unknown) => this.logger?.warn({ err: error }, 'catalog refresh failed'));
    }, refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
