/** A training report as a text table: the model beside the two baselines, as the notebook compared. */
import type { ModelMetrics, TrainingReport } from './run-training';

function row(name: string, m: ModelMetrics): string {
  const f = (value: number) => value.toFixed(4);
  return `| ${name} | ${f(m.train.mae)} | ${f(m.train.rmse)} | ${f(m.test.mae)} | ${f(m.test.mse)} | ${f(m.test.rmse)} | ${f(m.ranking.ndcg)} | ${f(m.ranking.recall)} | ${f(m.ranking.coverage)} |`;
}

export function formatTrainingReport(report: TrainingReport): string {
  const lines = [
    '| model | train MAE | train RMSE | test MAE | test MSE | test RMSE | NDCG@10 | Recall@10 | coverage |',
    '|---|---|---|---|---|---|---|---|---|',
    row(`${report.kind} (${report.preset})`, report.metrics),
    row('global mean', report.baselines.globalMean),
    row('user+item bias (BaselineOnly)', report.baselines.baselineOnly),
  ];
  const ranking = (name: string, m: { ndcg: number; recall: number; coverage: number }) =>
    `| ${name} | | | | | | ${m.ndcg.toFixed(4)} | ${m.recall.toFixed(4)} | ${m.coverage.toFixed(4)} |`;
  const { popularity, itemKnn, ease } = report.rankingBaselines;
  lines.push(ranking('popularity', popularity), ranking('item-kNN (cosine, 100 neighbours)', itemKnn), ranking(`EASE (λ ${ease.lambda}, chosen on validation)`, ease));
  lines.push(`NDCG@10 against EASE: ${(report.metrics.ranking.ndcg / Math.max(ease.ndcg, 1e-12)).toFixed(3)}x`);
  const similar = report.metrics.similarTitles;
  if (similar) {
    lines.push(
      `similar titles (item-kNN on the served vectors, NDCG@10): ${similar.shrunk.ndcg.toFixed(4)} shrunk by support, ${similar.unshrunk.ndcg.toFixed(4)} without; ` +
        `raw item-kNN ${itemKnn.ndcg.toFixed(4)}`,
    );
  }
  if (report.metrics.blend) lines.push(`re-ranking blend (fitted on validation): ${JSON.stringify(report.metrics.blend.weights)}`);
  if (report.metrics.testArgmax) {
    const a = report.metrics.testArgmax;
    lines.push(`classifier argmax+1 prediction: test MAE ${a.mae.toFixed(4)}, RMSE ${a.rmse.toFixed(4)} (the table uses the expected rating)`);
  }
  const d = report.dataset;
  lines.push(
    `data: ${d.ratings} ratings, ${d.users} users, ${d.items} items; split ${d.train} train / ${d.validation} validation / ${d.test} test; ` +
      `ranking over ${report.metrics.ranking.usersEvaluated} test users`,
    `training: ${report.history.length} epochs (best ${report.bestEpoch}) in ${report.trainSeconds.toFixed(1)} s, ` +
      `${Math.round(report.samplesPerSecond)} samples/s on ${report.backend}`,
    `model version ${report.modelVersionId}: ${report.activation}`,
  );
  return lines.join('\n');
}
