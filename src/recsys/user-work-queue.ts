/**
 * Work per user, batched off the request path. `schedule(user)` returns at once; the users
 * scheduled meanwhile go to `work` together, one batch at a time. A user scheduled again while
 * their batch runs is run once more afterwards (the running pass may have read older data).
 * `settled(user)` resolves once that user has nothing pending or running, so a read from that
 * user can wait for their own writes to take effect.
 *
 * Generic over what is recomputed: the fold-in of a user's vectors is one such work.
 */

/** Users per call of `work`. */
export const MAX_BATCH_USERS = 256;

export interface UserWorkQueueOptions {
  /** A failed batch: its users are settled all the same (their writes are stored either way). */
  onError(error: unknown, userIds: readonly number[]): void;
}

/** Told, after each batch, the milliseconds from each of its users' first schedule to the batch's end. */
export type LagObserver = (lagsMs: readonly number[]) => void;

export class UserWorkQueue {
  /** Users waiting for the next batch, with when they were first scheduled. */
  private readonly pending = new Map<number, number>();
  private readonly running = new Set<number>();
  private readonly waiters = new Map<number, (() => void)[]>();
  private draining: Promise<void> | null = null;
  private readonly observers = new Set<LagObserver>();

  constructor(
    private readonly work: (userIds: number[]) => Promise<void>,
    private readonly options: UserWorkQueueOptions,
  ) {}

  /** Adds an observer of each batch's lags (metrics). */
  observe(observer: LagObserver): void {
    this.observers.add(observer);
  }

  /** Users scheduled or running. */
  get size(): number {
    return this.pending.size + this.running.size;
  }

  /** Milliseconds the longest-waiting pending user has waited (0 when none). */
  oldestPendingMs(now = performance.now()): number {
    const first = this.pending.values().next();
    return first.done ? 0 : now - first.value;
  }

  schedule(userId: number): void {
    if (!this.pending.has(userId)) this.pending.set(userId, performance.now());
    this.draining ??= this.drain();
  }

  /** Resolves when `userId` has no pending or running work. */
  settled(userId: number): Promise<void> {
    if (!this.pending.has(userId) && !this.running.has(userId)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(userId);
      if (list) list.push(resolve);
      else this.waiters.set(userId, [resolve]);
    });
  }

  /** Resolves when nothing is pending or running (for shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    // Let the request that scheduled answer first, and more users gather.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.pending.size > 0) {
        const batch: number[] = [];
        const scheduledAt: number[] = [];
        for (const [userId, at] of this.pending) {
          if (batch.length === MAX_BATCH_USERS) break;
          batch.push(userId);
          scheduledAt.push(at);
        }
        for (const userId of batch) {
          this.pending.delete(userId);
          this.running.add(userId);
        }
        try {
          await this.work(batch);
        } catch (error) {
          this.options.onError(error, batch);
        }
        const now = performance.now();
        const lags = scheduledAt.map((at) => now - at);
        for (const observer of this.observers) observer(lags);
        for (const userId of batch) {
          this.running.delete(userId);
          if (this.pending.has(userId)) continue;
          for (const resolve of this.waiters.get(userId) ?? []) resolve();
          this.waiters.delete(userId);
        }
      }
    } finally {
      this.draining = null;
    }
  }
}
