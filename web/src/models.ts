/** Model versions as the pages list them. */
import { gql } from './api';

export interface ModelSummary {
  id: number;
  kind: string;
  embeddingDim: number;
  isActive: boolean;
  createdAt: string;
}

export async function loadModelList(): Promise<ModelSummary[]> {
  return (await gql<{ models: ModelSummary[] }>('{ models { id kind embeddingDim isActive createdAt } }')).models;
}

/** A ModelKind enum name as people write the kind: HYBRID_CLASSIFIER → hybrid-classifier. */
export const kindLabel = (kind: string) => kind.toLowerCase().replace(/_/g, '-');

/** The schema's enum name of a kind, preset or map method: hybrid-classifier → HYBRID_CLASSIFIER. */
export const enumName = (value: string) => value.toUpperCase().replace(/-/g, '_');

export const modelLabel = (m: ModelSummary) => `#${m.id} ${kindLabel(m.kind)} (${m.embeddingDim}-d)${m.isActive ? ' · active' : ''}`;
