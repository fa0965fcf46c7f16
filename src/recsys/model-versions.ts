/** Model versions as the API lists them (no weights or embeddings). */
import type { Database } from '../db/database';

export interface ModelVersionSummary {
  id: number;
  kind: string;
  embeddingDim: number;
  isActive: boolean;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, unknown>;
  history: { epoch: number; loss: number; valLoss: number | null; seconds: number }[];
  createdAt: Date;
  activatedAt: Date | null;
}

const SELECT = {
  id: true,
  kind: true,
  embeddingDim: true,
  isActive: true,
  hyperparameters: true,
  metrics: true,
  history: true,
  createdAt: true,
  activatedAt: true,
} as const;

export async function listModelVersions(db: Database): Promise<ModelVersionSummary[]> {
  const rows = await db.prisma().modelVersion.findMany({ where: { status: 'ready' }, orderBy: { id: 'desc' }, select: SELECT });
  return rows as unknown as ModelVersionSummary[];
}

export async function activeModelVersion(db: Database): Promise<ModelVersionSummary | null> {
  const row = await db.prisma().modelVersion.findFirst({ where: { isActive: true }, select: SELECT });
  return row as unknown as ModelVersionSummary | null;
}
