/**
 * At most one training run per model kind at a time, across every process on the database
 * (servers and CLIs): a PostgreSQL advisory lock per kind, held for the whole run. A second
 * run of the same kind is refused at once rather than queued: it would train on the same data.
 */
import { advisoryLockKey, type AdvisoryLock, type Database } from '../db/database';
import { AppError } from '../errors';
import type { ModelKind } from '../models/kinds';

/** Another process (or this one) is training this kind right now. */
export class TrainingInProgressError extends AppError {
  override readonly name = 'TrainingInProgressError';
  readonly code = 'TRAINING_IN_PROGRESS';
}

/** The advisory-lock key of a kind. */
export function trainingLockKey(kind: ModelKind): number {
  return advisoryLockKey(`training:${kind}`);
}

/** Runs `fn` holding the kind's training lock; TrainingInProgressError when it is taken. */
export async function withTrainingLock<T>(db: Database, kind: ModelKind, fn: () => Promise<T>): Promise<T> {
  const lock: AdvisoryLock | null = await db.tryAdvisoryLock(trainingLockKey(kind));
  if (!lock) throw new TrainingInProgressError(`a ${kind} training run is already in progress on this database; wait for it to finish`);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
