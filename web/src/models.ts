/** Model versions as the pages list them. */
import { gql } from './api';

export interface ModelSummary {
  id: number;
  kind: string;
  embeddingDim: number;
  isActive: boolean;
  createdAt: string;
}

/** The largest page the API gives; the default retention keeps far fewer versions. */
export const MODEL_LIST_SIZE = 100;

export async function loadModelList(): Promise<ModelSummary[]> {
  return (await gql<{ models: { nodes: ModelSummary[] } }>(`{ models(first: ${MODEL_LIST_SIZE}) { nodes { id kind embeddingDim isActive createdAt } } }`)).models.nodes;
}

/** A ModelKind enum name as people write the kind: HYBRID_CLASSIFIER → hybrid-classifier. */
export const kindLabel = (kind: string) => kind.toLowerCase().replace(/_/g, '-');

/** The schema's enum name of a kind, preset or map method: hybrid-classifier → HYBRID_CLASSIFIER. */
export const enumName = (value: string) => value.toUpperCase().replace(/-/g, '_');

export const modelLabel = (m: ModelSummary) => `#${m.id} ${kindLabel(m.kind)} (${m.embeddingDim}-d)${m.isActive ? ' · active' : ''}`;
