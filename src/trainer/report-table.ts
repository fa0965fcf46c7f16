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
