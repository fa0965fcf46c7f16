/** Embeddings as the API hands them to clients that work with the vectors themselves. */
import type { Database } from '../db/database';
import { ModelNotReadyError } from '../errors';
import type { ModelCache, ServingModel } from './model-cache';

/** The given version, or the active one; ModelNotReadyError when none is active. */
export async function servingFor(models: ModelCache, version: number | null | undefined): Promise<ServingModel> {
  if (version !== undefined && version !== null) return models.version(version);
  const active = await models.currentOrLoaded();
  if (!active) throw new ModelNotReadyError('no model is active yet: train one (npm run train)');
  return active;
}

export function embeddingOf(serving: ServingModel, kind: 'item' | 'user', id: number): number[] | null {
  const row = (kind === 'item' ? serving.itemRow : serving.userRow).get(id);
  if (row === undefined) return null;
  const dim = serving.model.hyper.embeddingDim;
  const table = kind === 'item' ? serving.model.itemEmbeddings : serving.model.userEmbeddings;
  return Array.from(table.subarray(row * dim, (row + 1) * dim));
}

export async function mapPoints(db: Database, versionId: number): Promise<{ animeId: number; x: number; y: number }[]> {
  const { rows } = await db.query<{ anime_id: number; x: number; y: number }>(
    'SELECT anime_id, x, y FROM item_map_point WHERE model_version_id = $1 ORDER BY anime_id',
    [versionId],
  );
  return rows.map((r) => ({ animeId: r.anime_id, x: r.x, y: r.y }));
}
