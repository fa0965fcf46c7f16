/**
 * Keeps every server's served model in step with the database: model activations and fold-ins
 * are announced with NOTIFY (activations by a trigger, migration 20261205010000; fold-ins by
 * the server that folded, in the statement that stores the vectors), and each server's
 * ModelCache LISTENs. What a lost listener missed is read back by time: vectors folded in since.
 */
import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/database';
import { vectorFromSql } from '../versions/vector-codec';
import { setServedUser, type ServingModel } from './model-cache';

/** Sent (with an empty payload) on every change of the active model version. */
export const MODEL_ACTIVATED_CHANNEL = 'animerec_model_activated';
/** Sent after fold-ins are stored: `origin:versionId:userId,userId,...`. */
export const USERS_FOLDED_CHANNEL = 'animerec_users_folded';

/** A new id for a ModelCache, to tell its own announcements apart from other servers'. */
export function newOrigin(): string {
  return randomBytes(6).toString('hex');
}

export interface FoldedUsersNotice {
  origin: string;
  versionId: number;
  userIds: number[];
}

export function foldedUsersPayload(origin: string, versionId: number, userIds: readonly number[]): string {
  return `${origin}:${versionId}:${userIds.join(',')}`;
}

/** The notice in a payload, or null for one this code did not write. */
export function parseFoldedUsers(payload: string): FoldedUsersNotice | null {
  const match = /^([0-9a-f]+):(\d+):(\d+(?:,\d+)*)$/.exec(payload);
  if (!match) return null;
  return { origin: match[1]!, versionId: Number(match[2]), userIds: match[3]!.split(',').map(Number) };
}

interface UserVectorRow {
  user_id: number;
  embedding: string;
  bias: number | null;
}

function serveRows(serving: ServingModel, rows: readonly UserVectorRow[]): void {
  const dim = serving.model.hyper.embeddingDim;
  for (const row of rows) {
    const vector = new Float32Array(dim);
    vectorFromSql(row.embedding, vector, 0, dim);
    setServedUser(serving, row.user_id, vector, row.bias ?? 0);
  }
}

/** Reads the stored vectors of `userIds` in the served version and serves them. */
export async function reloadServedUsers(db: Queryable, serving: ServingModel, userIds: readonly number[]): Promise<void> {
  const { rows } = await db.query<UserVectorRow>(
    'SELECT user_id, embedding::text AS embedding, bias FROM user_embedding WHERE model_version_id = $1 AND user_id = ANY($2::int[])',
    [serving.versionId, userIds],
  );
  serveRows(serving, rows);
}

/**
 * Serves the vectors folded in during the last `withinMs` (by the database's clock, so the
 * servers' clocks do not matter); those the version was published with are left out.
 */
export async function reloadFoldedSince(db: Database, serving: ServingModel, withinMs: number): Promise<number> {
  const { rows } = await db.query<UserVectorRow>(
    `SELECT user_id, embedding::text AS embedding, bias FROM user_embedding
     WHERE model_version_id = $1 AND updated_at > now() - make_interval(secs => $2::float8 / 1000)
       AND updated_at > (SELECT finished_at FROM model_version WHERE id = $1)`,
    [serving.versionId, withinMs],
  );
  serveRows(serving, rows);
  return rows.length;
}
