/** Model versions as the API lists them (no weights or embeddings). */
import type { Database } from '../db/database';
import type { PredictionSample } from './draft';

export interface ModelVersionSummary {
  id: number;
  kind: string;
  embeddingDim: number;
  isActive: boolean;
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, unknown>;
  /** Held-out (true, predicted) pairs kept at training time; null for versions trained before they were kept. */
  predictionSample: PredictionSample | null;
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

type Row = Omit<ModelVersionSummary, 'predictionSample'>;

/** The stored metrics carry the prediction sample; it is handed out on its own, not in `metrics`. */
function summaryOf(row: Row): ModelVersionSummary {
  const { testSample, ...metrics } = row.metrics as { testSample?: PredictionSample };
  return { ...row, metrics, predictionSample: testSample ?? null };
}

export async function listModelVersions(db: Database): Promise<ModelVersionSummary[]> {
  const rows = await db.forReads().prisma().modelVersion.findMany({ where: { status: 'ready' }, orderBy: { id: 'desc' }, select: SELECT });
  return (rows as unknown as Row[]).map(summaryOf);
}

export async function activeModelVersion(db: Database): Promise<ModelVersionSummary | null> {
  const row = await db.prisma().modelVersion.findFirst({ where: { isActive: true }, select: SELECT });
  return row ? summaryOf(row as unknown as Row) : null;
}
