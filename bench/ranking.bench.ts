/**
 * npm run bench:ranking [-- --users N] [--second PATH] [--out FILE]
 *
 * The lists users see, measured with the project's protocol (docs/ranking.md) in one run: the
 * shipped sample is loaded into a fresh embedded database, one split is prepared, and on it
 * popularity, item-kNN and EASE (λ chosen on validation) are measured beside the hybrid kind
 * (ranking by predicted rating) and the retrieval kind (the served two-stage pipeline). Every
 * ranking figure is given as a ratio to EASE of the same run. Then the retrieval kind's defaults
 * are run again, unchanged, on a second real dataset (users 1-1036 of the Kaggle data, when the
 * file is there), and a table of similar titles per source of item vectors is printed.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { messageOf } from '../src/errors';
import type { Database } from '../src/db/database';
import { openEmbeddedDatabase } from '../src/db/embedded';
import { migrate } from '../src/db/migrate';
import { kaggleFormat } from '../src/ingest/formats/kaggle';
import { ingest } from '../src/ingest/ingest';
import { presetHyperparameters } from '../src/models/hyperparameters';
import type { ModelKind } from '../src/models/kinds';
import type { Model } from '../src/models/model';
import { fitItemKnn } from '../src/ranking/item-knn';
import { neighboursOf, type ItemNeighbours } from '../src/ranking/item-neighbours';
import { supportFactors, unitScanner, vectorNeighbours } from '../src/ranking/vector-neighbours';
import { projectPath } from '../src/paths';
import type { RankingMetrics } from '../src/trainer/metrics';
import { finishTrainingRun, prepareTrainingData, trainPrepared, type PreparedData, type TrainingReport } from '../src/trainer/run-training';
import type { TrainedModel } from '../src/trainer/trainer';
import { describeMachine } from './machine';

const SAMPLE = projectPath('data', 'rating_sample_5000users.csv.gz');
const ANIME = projectPath('data', 'anime.csv.gz');
const SECOND = projectPath('..', 'shared', 'data', 'anime', 'rating_head_users1-1036.csv');
/** Titles a person can judge at a glance (issue 14): Death Note, FMA: Brotherhood, Steins;Gate, Naruto, One Punch Man, K-On!. */
const JUDGED_TITLES = [1535, 5114, 9253, 20, 30276, 5680];
const SIMILAR_SHOWN = 5;
const GOALS = { easeRatio: 1.05, ndcg: 0.4, recall: 0.32, coverage: 0.15 };

interface Options {
  users: number;
  second: string;
  out: string | undefined;
}

function options(): Options {
  const { values } = parseArgs({
    options: { users: { type: 'string', default: '5000' }, second: { type: 'string', default: SECOND }, out: { type: 'string' } },
  });
  return { users: Number(values.users), second: values.second!, out: values.out };
}

async function loadedDatabase(ratingsPath: string): Promise<Database> {
  const db = await openEmbeddedDatabase(undefined);
  await migrate(db);
  await ingest(db, { format: kaggleFormat, animePath: ANIME, ratingsPath });
  return db;
}

interface KindRun {
  report: TrainingReport;
  trained: TrainedModel;
  seconds: number;
}

async function runKind(db: Database, prepared: PreparedData, kind: ModelKind): Promise<KindRun> {
  const hyper = presetHyperparameters(kind, 'default');
  const started = performance.now();
  const trained = await trainPrepared(prepared, hyper, {});
  const report = await finishTrainingRun(db, prepared, hyper, trained, { preset: 'default', activate: 'always', map: null });
  return { report, trained, seconds: (performance.now() - started) / 1000 };
}

const f4 = (value: number) => value.toFixed(4);
const met = (ok: boolean) => (ok ? 'met' : '**not met**');

function rankingRow(name: string, m: RankingMetrics, ease: RankingMetrics, extra = ''): string {
  return `| ${name} | ${f4(m.ndcg)} | ${f4(m.recall)} | ${f4(m.coverage)} | ${(m.ndcg / ease.ndcg).toFixed(3)}x |${extra}`;
}

function rankingTable(prepared: PreparedData, runs: Map<ModelKind, KindRun>): string[] {
  const { popularity, itemKnn, ease } = prepared.rankingBaselines;
  const lines = [
    '| ranking | NDCG@10 | Recall@10 | coverage | NDCG vs EASE |',
    '|---|---|---|---|---|',
    rankingRow('popularity', popularity, ease),
    rankingRow('item-kNN (cosine, 100 neighbours)', itemKnn, ease),
    rankingRow(`EASE (λ ${ease.lambda}, chosen on validation)`, ease, ease),
    rankingRow('BaselineOnly (user + item bias)', prepared.baselines.baselineOnly.ranking, ease),
  ];
  for (const [kind, run] of runs) {
    const name = kind === 'retrieval' ? '**served: retrieval, two stages**' : `${kind} (every item by predicted rating)`;
    lines.push(rankingRow(name, run.report.metrics.ranking, ease));
  }
  return lines;
}

/** Neighbour lists of the judged titles by their names. */
function similarRows(names: Map<number, string>, source: string, itemIds: Int32Array, neighbours: ItemNeighbours): string[] {
  return JUDGED_TITLES.flatMap((id) => {
    const row = itemIds.indexOf(id);
    if (row < 0) return [];
    const { items } = neighboursOf(neighbours, row);
    const shown = Array.from(items.subarray(0, SIMILAR_SHOWN), (item) => names.get(itemIds[item]!) ?? String(itemIds[item]));
    return [`| ${names.get(id)} | ${source} | ${shown.join('; ')} |`];
  });
}

function vectorLists(model: Model, support: Int32Array | null, shrinkage: number): ItemNeighbours {
  return vectorNeighbours(unitScanner(model.itemEmbeddings, model.hyper.embeddingDim), support ? supportFactors(support, shrinkage) : null, SIMILAR_SHOWN);
}

async function main(): Promise<void> {
  const opts = options();
  const out: string[] = [`Machine: ${describeMachine()}`, `Command: npm run bench:ranking -- --users ${opts.users}`, ''];
  const say = (...lines: string[]) => {
    for (const line of lines) console.log(line);
    out.push(...lines);
  };

  const db = await loadedDatabase(SAMPLE);
  const hyper = presetHyperparameters('retrieval', 'default');
  let started = performance.now();
  const prepared = await prepareTrainingData(db, hyper, { rankingUsers: opts.users });
  const prepareSeconds = (performance.now() - started) / 1000;
  const runs = new Map<ModelKind, KindRun>();
  for (const kind of ['hybrid', 'retrieval'] as const) runs.set(kind, await runKind(db, prepared, kind));
  const served = runs.get('retrieval')!;
  const hybrid = runs.get('hybrid')!;
  const { ease, itemKnn } = prepared.rankingBaselines;
  const ranking = served.report.metrics.ranking;

  say('## Shipped sample (5,000 users)', '', ...rankingTable(prepared, runs), '');
  say(
    `Evaluated users: ${ranking.usersEvaluated}; baselines and EASE's three fits: ${prepareSeconds.toFixed(0)} s; ` +
      `retrieval kind trained in ${served.seconds.toFixed(0)} s (its implicit ALS: ${served.trained.retrievalSeconds?.toFixed(1)} s), hybrid in ${hybrid.seconds.toFixed(0)} s.`,
    `Blend weights (fitted on validation): ${JSON.stringify(served.report.metrics.blend?.weights)}.`,
    '',
  );
  const similar = served.report.metrics.similarTitles!;
  say(
    '| similar titles: item-kNN driven by | NDCG@10 | Recall@10 | vs raw item-kNN |',
    '|---|---|---|---|',
    `| raw interaction matrix (cosine, 100 neighbours) | ${f4(itemKnn.ndcg)} | ${f4(itemKnn.recall)} | 1.000x |`,
    `| served retrieval vectors, shrunk by support | ${f4(similar.shrunk.ndcg)} | ${f4(similar.shrunk.recall)} | ${(similar.shrunk.ndcg / itemKnn.ndcg).toFixed(3)}x |`,
    `| served retrieval vectors, no shrinkage | ${f4(similar.unshrunk.ndcg)} | ${f4(similar.unshrunk.recall)} | ${(similar.unshrunk.ndcg / itemKnn.ndcg).toFixed(3)}x |`,
    '',
  );
  const rating = served.report.metrics.test;
  const baselineOnly = prepared.baselines.baselineOnly.test;
  say(
    '| predictedRating (test) | MAE | RMSE | vs BaselineOnly RMSE |',
    '|---|---|---|---|',
    `| BaselineOnly | ${f4(baselineOnly.mae)} | ${f4(baselineOnly.rmse)} | 1.000x |`,
    `| hybrid kind | ${f4(hybrid.report.metrics.test.mae)} | ${f4(hybrid.report.metrics.test.rmse)} | ${(hybrid.report.metrics.test.rmse / baselineOnly.rmse).toFixed(3)}x |`,
    `| retrieval kind's rating model | ${f4(rating.mae)} | ${f4(rating.rmse)} | ${(rating.rmse / baselineOnly.rmse).toFixed(3)}x |`,
    '',
  );

  say('Goals (issue 14), shipped sample:');
  say(
    `- NDCG@10 ≥ ${GOALS.easeRatio} × EASE and ≥ ${GOALS.ndcg}: ${f4(ranking.ndcg)} = ${(ranking.ndcg / ease.ndcg).toFixed(3)}x: ${met(ranking.ndcg >= GOALS.easeRatio * ease.ndcg && ranking.ndcg >= GOALS.ndcg)}`,
    `- Recall@10 ≥ ${GOALS.recall}: ${f4(ranking.recall)}: ${met(ranking.recall >= GOALS.recall)}`,
    `- coverage ≥ ${GOALS.coverage}: ${f4(ranking.coverage)}: ${met(ranking.coverage >= GOALS.coverage)}`,
    `- similar titles ≥ raw item-kNN: ${f4(similar.shrunk.ndcg)} vs ${f4(itemKnn.ndcg)}: ${met(similar.shrunk.ndcg >= itemKnn.ndcg)}`,
    `- predictedRating within 0.5% of the hybrid: MAE ${(rating.mae / hybrid.report.metrics.test.mae).toFixed(4)}x, RMSE ${(rating.rmse / hybrid.report.metrics.test.rmse).toFixed(4)}x: ${met(Math.abs(rating.mae / hybrid.report.metrics.test.mae - 1) <= 0.005 && Math.abs(rating.rmse / hybrid.report.metrics.test.rmse - 1) <= 0.005)}`,
    `- retrieval kind trains in under 120 s (its implicit ALS; the rating model is the hybrid's training): ${served.trained.retrievalSeconds?.toFixed(1)} s: ${met((served.trained.retrievalSeconds ?? Infinity) < 120)}`,
    '',
  );

  // Similar titles per source of item vectors.
  const { rows: animeRows } = await db.query<{ id: number; name: string }>('SELECT id, name FROM anime');
  const names = new Map(animeRows.map((row) => [row.id, row.name]));
  const retrievalModel = served.trained.model;
  const support = served.trained.reranker!.support;
  say('| title | item vectors | top 5 similar |', '|---|---|---|');
  for (const [source, lists] of [
    ['retrieval (iALS), shrunk by support (served)', vectorLists(retrievalModel, support, served.trained.reranker!.similarityShrinkage)],
    ['retrieval (iALS), no shrinkage', vectorLists(retrievalModel, null, 0)],
    ['hybrid embeddings (rating regression)', vectorLists(hybrid.trained.model, null, 0)],
    ['raw item-kNN (co-watching cosine)', fitItemKnn(prepared.ranking.train, { neighbours: SIMILAR_SHOWN }).neighbours],
  ] as const) {
    say(...similarRows(names, source, retrievalModel.itemIds, lists));
  }
  say('');
  await db.close();

  // The same defaults on a second real dataset.
  let second: Database | null = null;
  try {
    second = await loadedDatabase(opts.second);
  } catch (error) {
    say(`Second dataset skipped: ${opts.second} could not be loaded (${(error as Error).message}).`);
  }
  if (second) {
    const secondPrepared = await prepareTrainingData(second, hyper, { rankingUsers: opts.users });
    const secondRuns = new Map<ModelKind, KindRun>([['retrieval', await runKind(second, secondPrepared, 'retrieval')]]);
    const secondRanking = secondRuns.get('retrieval')!.report.metrics.ranking;
    const secondEase = secondPrepared.rankingBaselines.ease;
    say(`## Second dataset: ${opts.second.split('/').pop()} (same defaults)`, '', ...rankingTable(secondPrepared, secondRuns), '');
    say(`- NDCG@10 ≥ EASE's: ${f4(secondRanking.ndcg)} vs ${f4(secondEase.ndcg)} = ${(secondRanking.ndcg / secondEase.ndcg).toFixed(3)}x: ${met(secondRanking.ndcg >= secondEase.ndcg)}`, '');
    await second.close();
  }
  if (opts.out) writeFileSync(opts.out, out.join('\n') + '\n');
}

main().catch((error: unknown) => {
  console.error(messageOf(error));
  process.exit(1);
});
