/**
 * API users and their tokens: creating a user, signing in with a bearer token (which expires),
 * rotating and revoking it, and deleting the user with all their data. Ingested users (source
 * "ingest") are the public sample of the dataset: they have no token and their data is public.
 */
import type { Database } from '../db/database';
import { InvalidInputError } from '../errors';
import { dataChanged } from './catalog';
import { fingerprintMatches, issueToken, parseToken, verifySecret, withFingerprint, type VerifiedTokens } from './tokens';

/** Who a user is: a dataset user (public sample) or one created through the API (private). */
export type UserSource = 'ingest' | 'api';

export interface UserRecord {
  id: number;
  name: string | null;
  source: string;
  createdAt: Date;
}

/** A token just issued: shown once, only its hash is stored. */
export interface IssuedUserToken {
  token: string;
  expiresAt: Date;
}

/** The outcome of presenting a token: the user, or why it was refused. */
export type Authentication = { userId: number } | { userId: null; refused: 'invalid' | 'expired' };

const DAY_MS = 86_400_000;

function expiryFrom(now: Date, ttlDays: number): Date {
  return new Date(now.getTime() + ttlDays * DAY_MS);
}

export async function createUser(db: Database, name: string, ttlDays: number): Promise<{ user: UserRecord } & IssuedUserToken> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100) throw new InvalidInputError('name must have 1 to 100 characters');
  const created = await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number; name: string; source: string; created_at: Date }>(
      `INSERT INTO app_user (name, source) VALUES ($1, 'api') RETURNING id, name, source, created_at`,
      [trimmed],
    );
    const row = rows[0]!;
    const issued = await issueToken(row.id);
    const expiresAt = expiryFrom(row.created_at, ttlDays);
    await tx.query('UPDATE app_user SET token_hash = $1, token_expires_at = $2 WHERE id = $3', [issued.hash, expiresAt, row.id]);
    return { user: { id: row.id, name: row.name, source: row.source, createdAt: row.created_at }, token: issued.token, expiresAt };
  });
  dataChanged(db);
  return created;
}

/** The user a bearer token belongs to, or why it is refused (malformed, forged, revoked, expired). */
export async function authenticate(db: Database, verified: VerifiedTokens, token: string): Promise<Authentication> {
  const parsed = parseToken(token);
  if (!parsed) return { userId: null, refused: 'invalid' };
  // Read every time (a primary-key lookup): a deleted user's or a rotated token must not pass.
  const { rows } = await db.query<{ token_hash: string | null; token_expires_at: Date | null }>(
    'SELECT token_hash, token_expires_at FROM app_user WHERE id = $1',
    [parsed.userId],
  );
  const stored = rows[0]?.token_hash;
  if (!stored) return { userId: null, refused: 'invalid' };
  if (!verified.verified(token, stored)) {
    if (!(await verifySecret(parsed.secret, stored))) return { userId: null, refused: 'invalid' };
    verified.remember(token, await addFingerprint(db, parsed, stored));
  }
  // Checked after the secret: an expiry is only reported to whoever holds the token.
  const expiresAt = rows[0]!.token_expires_at;
  if (expiresAt !== null && expiresAt.getTime() <= Date.now()) return { userId: null, refused: 'expired' };
  return { userId: parsed.userId };
}

/**
 * Stores the fingerprint of a just-verified secret when its user's hash predates fingerprints,
 * unless the token was replaced meanwhile; returns the hash now stored for it.
 */
async function addFingerprint(db: Database, { userId, secret }: { userId: number; secret: string }, stored: string): Promise<string> {
  const upgraded = withFingerprint(secret, stored);
  if (upgraded !== stored) await db.query('UPDATE app_user SET token_hash = $1 WHERE id = $2 AND token_hash = $3', [upgraded, userId, stored]);
  return upgraded;
}

/**
 * Whether `token` is its user's current one, known without scrypt: its fingerprint matches, or
 * (a hash without one) this process verified it within VerifiedTokens' lifetime. One key lookup
 * (see BadTokenLimiter).
 */
export async function knownGenuine(db: Database, verified: VerifiedTokens, token: string): Promise<boolean> {
  const parsed = parseToken(token);
  if (!parsed) return false;
  const { rows } = await db.query<{ token_hash: string | null }>('SELECT token_hash FROM app_user WHERE id = $1', [parsed.userId]);
  const stored = rows[0]?.token_hash;
  if (stored === undefined || stored === null) return false;
  return fingerprintMatches(parsed.secret, stored) ?? verified.verified(token, stored);
}

export async function findUser(db: Database, id: number): Promise<UserRecord | null> {
  return db.prisma().appUser.findUnique({ where: { id }, select: { id: true, name: true, source: true, createdAt: true } });
}

/** Each id's source, in the order asked; null where there is no such user (a DataLoader batch). */
export async function userSources(db: Database, ids: readonly number[]): Promise<(UserSource | null)[]> {
  const { rows } = await db.query<{ id: number; source: UserSource }>('SELECT id, source FROM app_user WHERE id = ANY($1::int[])', [[...ids]]);
  const byId = new Map(rows.map((row) => [row.id, row.source]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** Replaces the user's token by a new one (the old one stops working at once). */
export async function rotateToken(db: Database, userId: number, ttlDays: number): Promise<IssuedUserToken> {
  const issued = await issueToken(userId);
  const expiresAt = expiryFrom(new Date(), ttlDays);
  await db.query('UPDATE app_user SET token_hash = $1, token_expires_at = $2 WHERE id = $3', [issued.hash, expiresAt, userId]);
  return { token: issued.token, expiresAt };
}

/** Removes the user's token: nobody can sign in as them any more. False when they had none. */
export async function revokeToken(db: Database, userId: number): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE app_user SET token_hash = NULL, token_expires_at = NULL WHERE id = $1 AND token_hash IS NOT NULL', [userId]);
  return rowCount > 0;
}

export interface DeletedUser {
  ratings: number;
  watched: number;
  embeddings: number;
}

/** Deletes the user, their ratings, watched rows, embeddings and token, in one transaction. */
export async function deleteUser(db: Database, userId: number): Promise<DeletedUser> {
  const deleted = await db.transaction(async (tx) => {
    const ratings = await tx.query('DELETE FROM rating WHERE user_id = $1', [userId]);
    const watched = await tx.query('DELETE FROM watched WHERE user_id = $1', [userId]);
    const embeddings = await tx.query('DELETE FROM user_embedding WHERE user_id = $1', [userId]);
    await tx.query('DELETE FROM app_user WHERE id = $1', [userId]);
    return { ratings: ratings.rowCount, watched: watched.rowCount, embeddings: embeddings.rowCount };
  });
  dataChanged(db);
  return deleted;
}
