/**
 * Which model version the API serves: the single `is_active` flag, swapped in one
 * transaction under an advisory lock that publishing and retention take as well.
 */
import type { Database, Queryable } from '../db/database';
import { InvariantError, NotFoundError } from '../errors';

/** Serializes activations (and deletions) so two of them cannot race on the single active flag. */
export const ACTIVATION_LOCK_KEY = 72707370;

/** Takes the activation lock until the end of the transaction `tx`. */
export async function lockActivations(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [ACTIVATION_LOCK_KEY]);
}

/**
 * Makes the ready version `id` the only active one, in one transaction. A version that does not
 * exist or is not ready (the API lists only ready ones) is a NotFoundError.
 */
export async function activateModelVersion(db: Database, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    // The lock first, as in publishing: taking it after the row lock could deadlock with a publish.
    await lockActivations(tx);
    const { rows } = await tx.query<{ status: string }>('SELECT status FROM model_version WHERE id = $1 FOR UPDATE', [id]);
    const row = rows[0];
    if (!row) throw new NotFoundError(`cannot activate model version ${id}: it does not exist`);
    if (row.status !== 'ready') throw new NotFoundError(`cannot activate model version ${id}: its status is '${row.status}', not 'ready'`);
    await activateWithin(tx, id, { locked: true });
  });
}

/** The id of the active model version, or null when none is active. */
export async function activeModelVersionId(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM model_version WHERE is_active');
  return rows[0]?.id ?? null;
}

/** Activates `id` inside the open transaction `tx` (publishing's, or activateModelVersion's). */
export async function activateWithin(tx: Queryable, id: number, { locked = false } = {}): Promise<void> {
  if (!locked) await lockActivations(tx);
  // Two statements in this order: the single-active unique index is checked row by row.
  await tx.query('UPDATE model_version SET is_active = false WHERE is_active AND id <> $1', [id]);
  const { rowCount } = await tx.query(
    `UPDATE model_version SET is_active = true, activated_at = CASE WHEN is_active THEN activated_at ELSE now() END
     WHERE id = $1 AND status = 'ready'`,
    [id],
  );
  if (rowCount !== 1) throw new InvariantError(`cannot activate model version ${id}: no ready version has that id (callers check first)`);
}
