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

export interface MapPoint {
  animeId: number;
  x: number;
  y: number;
}

/** Versions whose maps are kept; a version's map never changes once published. */
const MAP_VERSIONS_KEPT = 4;
const mapCaches = new WeakMap<Database, Map<number, Promise<MapPoint[]>>>();

/** The 2-D map of a model version, read once per version and kept (the newest few versions). */
export function mapPoints(db: Database, versionId: number): Promise<MapPoint[]> {
  let cache = mapCaches.get(db);
  if (!cache) mapCaches.set(db, (cache = new Map()));
  let points = cache.get(versionId);
  if (!points) {
    const kept = cache;
    points = readMapPoints(db, versionId);
    kept.set(versionId, points);
    points.catch(() => kept.get(versionId) === points && kept.delete(versionId));
    if (kept.size > MAP_VERSIONS_KEPT) kept.delete(kept.keys().next().value!);
  }
  return points;
}

async function readMapPoints(db: Database, versionId: number): Promise<MapPoint[]> {
  const { rows } = await db.query<{ anime_id: number; x: number; y: number }>(
    'SELECT anime_id, x, y FROM item_map_point WHERE model_version_id = $1 ORDER BY anime_id',
    [versionId],
  );
  return rows.map((r) => ({ animeId: r.anime_id, x: r.x, y: r.y }));
}
