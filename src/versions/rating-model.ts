/** The model that predicts ratings for a version: its own, or a retrieval version's re-ranker's. */
import type { Database } from '../db/database';
import type { Model } from '../models/model';
import { deserializeReranker } from '../ranking/reranker';
import { loadModelVersion, loadRerankerBytes } from './load';

export async function loadRatingModel(db: Database, id: number): Promise<Model> {
  const reranker = await loadRerankerBytes(db, id);
  return reranker ? deserializeReranker(reranker).ratingModel : loadModelVersion(db, id);
}
