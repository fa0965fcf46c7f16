/**
 * Streaming read replicas behind the primary. Reads that tolerate replication lag (anime
 * search, filtered similar anime, model lists) go round-robin to the replicas; a
 * replica that fails, or lags behind the primary by more than the bound, is skipped until a
 * probe finds it caught up again, and the primary serves meanwhile. Reads of a user's own data
 * never come here: they stay on the primary, so a user reads their own writes.
 *
 * Lag is measured against the primary's WAL position, not the replica's own view (which reads
 * "no lag" when its WAL receiver is cut off): each probe notes the primary's current LSN; the
 * replica's lag is how long ago the newest noted LSN it has replayed was the primary's.
 */
import type { Logger } from '../logger';
import { isConnectionLoss } from './connection-loss';
import type { Database, Queryable, ReadDatabase, ReplicaState } from './database';

/** How often replicas are probed for health and lag. */
export const REPLICA_PROBE_MS = 500;


/** `X/Y` (pg_lsn text) as one number of bytes. */
function lsnBytes(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

interface Replica {
  db: Database;
  state: ReplicaState;
}

export class ReplicaSet {
  private readonly replicas: Replica[];
  /** The primary's WAL positions noted by recent probes, oldest first. */
  private readonly primaryPositions: { at: number; lsn: bigint }[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | null = null;

  constructor(
    private readonly primary: Database,
    replicas: Database[],
    private readonly maxLagMs: number,
    private readonly logger?: Logger,
  ) {
    this.replicas = replicas.map((db) => ({ db, state: { location: db.location, healthy: false, lagMs: null } }));
  }

  /** Probes once (so healthy replicas take reads at once), then every REPLICA_PROBE_MS. */
  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), REPLICA_PROBE_MS);
    this.timer.unref();
  }

  states(): ReplicaState[] {
    return this.replicas.map((replica) => ({ ...replica.state }));
  }

  /** The next healthy replica (round-robin) for lag-tolerant reads, or the primary. */
  reader(): ReadDatabase {
    for (let tried = 0; tried < this.replicas.length; tried++) {
      const replica = this.replicas[this.next++ % this.replicas.length]!;
      if (replica.state.healthy) return this.guarded(replica);
    }
    return this.primary;
  }

  /** The replica's query and transaction, falling back to the primary when the replica is lost. */
  private guarded(replica: Replica): ReadDatabase {
    const fallBack = <T>(run: (db: Pick<Database, 'query' | 'transaction'>) => Promise<T>): Promise<T> =>
      run(replica.db).catch((error: unknown) => {
        if (!isConnectionLoss(error)) throw error;
        this.markDown(replica, error);
        return run(this.primary);
      });
    return {
      query: (sql, params) => fallBack((db) => db.query(sql, params)),
      transaction: (fn: (tx: Queryable) => Promise<unknown>) => fallBack((db) => db.transaction(fn)),
      prisma: () => replica.db.prisma(),
    } as ReadDatabase;
  }

  private markDown(replica: Replica, error: unknown): void {
    if (replica.state.healthy) this.logger?.warn({ err: error, replica: replica.state.location }, 'read replica unavailable: reads go to the primary');
    replica.state.healthy = false;
    replica.state.lagMs = null;
  }

  /** One round of probes; concurrent calls share it. */
  probe(): Promise<void> {
    this.probing ??= this.probeAll().finally(() => (this.probing = null));
    return this.probing;
  }

  private async probeAll(): Promise<void> {
    const now = Date.now();
    try {
      const { rows } = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      this.primaryPositions.push({ at: now, lsn: lsnBytes(rows[0]!.lsn) });
    } catch {
      return; // the primary's own outage is reported by its users
    }
    // Keep what can still decide a lag within the bound, and always the newest.
    while (this.primaryPositions.length > 1 && this.primaryPositions[0]!.at < now - 4 * this.maxLagMs - REPLICA_PROBE_MS) this.primaryPositions.shift();
    await Promise.all(this.replicas.map((replica) => this.probeReplica(replica, now)));
  }

  private async probeReplica(replica: Replica, now: number): Promise<void> {
    let replayed: bigint;
    try {
      const { rows } = await replica.db.query<{ lsn: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS lsn');
      if (rows[0]!.lsn === null) throw new Error('not a streaming replica (pg_last_wal_replay_lsn() is null)');
      replayed = lsnBytes(rows[0]!.lsn);
    } catch (error) {
      this.markDown(replica, error);
      return;
    }
    // The newest noted primary position this replica has replayed: it is caught up to that moment.
    let caughtUpAt: number | null = null;
    for (const position of this.primaryPositions) if (position.lsn <= replayed) caughtUpAt = position.at;
    const lagMs = caughtUpAt === null ? null : now - caughtUpAt;
    const healthy = lagMs !== null && lagMs <= this.maxLagMs;
    if (healthy !== replica.state.healthy) {
      if (healthy) this.logger?.info({ replica: replica.state.location }, 'read replica takes reads');
      else this.logger?.warn({ replica: replica.state.location, lagMs }, 'read replica lags beyond the bound: reads go to the primary');
    }
    replica.state = { location: replica.state.location, healthy, lagMs };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.probing;
    await Promise.all(this.replicas.map((replica) => replica.db.close()));
  }
}
