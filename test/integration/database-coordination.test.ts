/**
 * What several servers on one database coordinate through, on both drivers: notifications
 * (LISTEN/NOTIFY, delivered on commit; the activation trigger), advisory locks (one training
 * run per kind), and on PostgreSQL a listener that reconnects after its connection is cut.
 */
import pg from 'pg';
import type { Database, Subscription } from '../../src/db/database';
import { openPostgresDatabase } from '../../src/db/postgres';
import { MODEL_ACTIVATED_CHANNEL } from '../../src/recsys/model-sync';
import { TrainingInProgressError, withTrainingLock } from '../../src/trainer/training-lock';
import { describeEachDriver, TEST_POSTGRES_URL, type TestDatabase } from '../helpers/databases';

/** Collects notifications and lets a test wait for one. */
function inbox() {
  const received: { channel: string; payload: string }[] = [];
  const events: string[] = [];
  return {
    received,
    events,
    handlers: {
      onNotification: (channel: string, payload: string) => received.push({ channel, payload }),
      onDisconnected: () => events.push('disconnected'),
      onReconnected: () => events.push('reconnected'),
    },
    async until(check: () => boolean, timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(received)}, events ${events.join(',')}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

describeEachDriver('database coordination', (driver) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await driver.open();
    db = test.db;
  });
  afterAll(() => test.dispose());

  it('delivers a NOTIFY to a listener when its transaction commits, not before', async () => {
    const box = inbox();
    const subscription = await db.listen(['probe_a', 'probe_b'], box.handlers);
    try {
      expect(subscription.connected).toBe(true);
      await db.transaction(async (tx) => {
        await tx.query(`SELECT pg_notify('probe_a', 'in a transaction')`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(box.received).toEqual([]);
      });
      await db.query(`SELECT pg_notify('probe_b', $1)`, ['plain']);
      await db.query(`SELECT pg_notify('probe_other', 'not listened to')`);
      await box.until(() => box.received.length >= 2);
      expect(box.received).toEqual([
        { channel: 'probe_a', payload: 'in a transaction' },
        { channel: 'probe_b', payload: 'plain' },
      ]);
    } finally {
      await subscription.close();
    }
  });

  it('announces a change of the active model version, whoever makes it', async () => {
    const box = inbox();
    const subscription = await db.listen([MODEL_ACTIVATED_CHANNEL], box.handlers);
    try {
      const { rows } = await db.query<{ id: number }>(`INSERT INTO model_version (kind, embedding_dim) VALUES ('mf', 8) RETURNING id`);
      await db.query('UPDATE model_version SET is_active = true WHERE id = $1', [rows[0]!.id]);
      await box.until(() => box.received.length > 0);
      expect(box.received[0]!.channel).toBe(MODEL_ACTIVATED_CHANNEL);
    } finally {
      await subscription.close();
    }
  });

  it('reports its connection pool (PostgreSQL) or none (embedded)', async () => {
    await db.query('SELECT 1');
    const pool = db.poolState();
    if (driver.name === 'embedded') expect(pool).toBeNull();
    else expect(pool).toEqual({ total: expect.any(Number), idle: expect.any(Number), waiting: 0 });
    if (pool) expect(pool.total).toBeGreaterThanOrEqual(1);
  });

  it('gives an advisory lock to one holder at a time', async () => {
    const first = await db.tryAdvisoryLock(4242);
    expect(first).not.toBeNull();
    expect(await db.tryAdvisoryLock(4242)).toBeNull();
    const other = await db.tryAdvisoryLock(4243);
    expect(other).not.toBeNull();
    await first!.release();
    const again = await db.tryAdvisoryLock(4242);
    expect(again).not.toBeNull();
    await again!.release();
    await other!.release();
  });

  it('refuses a second training run of the same kind while one runs; other kinds go ahead', async () => {
    let finish!: () => void;
    const running = withTrainingLock(db, 'mf', () => new Promise<string>((resolve) => (finish = () => resolve('first'))));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(withTrainingLock(db, 'mf', async () => 'second')).rejects.toBeInstanceOf(TrainingInProgressError);
    await expect(withTrainingLock(db, 'deep', async () => 'deep')).resolves.toBe('deep');
    finish();
    await expect(running).resolves.toBe('first');
    await expect(withTrainingLock(db, 'mf', async () => 'after')).resolves.toBe('after');
  });
});

const describePostgres = TEST_POSTGRES_URL ? describe : describe.skip;

describePostgres('database coordination across processes [postgres]', () => {
  let test: TestDatabase;
  let other: Database;
  let admin: pg.Client;
  beforeAll(async () => {
    const { TEST_DRIVERS } = await import('../helpers/databases');
    test = await TEST_DRIVERS.find((d) => d.name === 'postgres')!.open();
    other = await openPostgresDatabase(test.url!);
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await other?.close();
    await admin?.end();
    await test?.dispose();
  });

  it('holds an advisory lock against another connection pool (another server)', async () => {
    const held = await test.db.tryAdvisoryLock(77);
    expect(await other.tryAdvisoryLock(77)).toBeNull();
    await held!.release();
    const taken = await other.tryAdvisoryLock(77);
    expect(taken).not.toBeNull();
    await taken!.release();
  });

  it('reconnects a listener whose connection is cut, says so, and delivers again', async () => {
    const box = inbox();
    let subscription: Subscription | undefined;
    try {
      subscription = await test.db.listen(['probe_cut'], box.handlers);
      const database = new URL(test.url!).pathname.slice(1);
      const cut = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`, [database]);
      expect(cut.rowCount).toBe(1);
      await box.until(() => box.events.includes('reconnected'));
      expect(box.events).toEqual(['disconnected', 'reconnected']);
      expect(subscription.connected).toBe(true);
      await other.query(`SELECT pg_notify('probe_cut', 'after the cut')`);
      await box.until(() => box.received.length > 0);
      expect(box.received).toEqual([{ channel: 'probe_cut', payload: 'after the cut' }]);
    } finally {
      await subscription?.close();
    }
  });
});
