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

export const modelLabel = (m: ModelSummary) => `#${m.id} ${m.kind} (${m.embeddingDim}-d)${m.isActive ? ' · active' : ''}`;
