/**
 * The data the playground's Data and Models pages show, over HTTP on both databases: rating
 * histogram, popularity distribution and most-rated titles (checked against the loaded file
 * itself), and the held-out (true, predicted) sample kept with a trained model version.
 */
import { selectBackend } from '../../src/models/backend';
import { runTraining, type TrainingReport } from '../../src/trainer/run-training';
import { PREDICTION_SAMPLE_SIZE } from '../../src/trainer/prediction-sample';
import { describeEachDriver } from '../helpers/databases';
import { graphql, graphqlData } from '../helpers/graphql';
import { startSliceServer, type SliceServer } from '../helpers/slice-server';

/** (user, anime, rating) rows of a Kaggle rating.csv text. */
function ratingRows(csv: string): { anime: number; rating: number }[] {
  return csv
    .split('\r\n')
    .slice(1)
    .filter((line) => line !== '')
    .map((line) => {
      const [, anime, rating] = line.split(',').map(Number);
      return { anime: anime!, rating: rating! };
    });
}

describeEachDriver('playground data', (driver) => {
  let slice: SliceServer;

  beforeAll(async () => {
    await selectBackend('wasm');
    slice = await startSliceServer({ ratingRows: 6000, driver });
  });
  afterAll(() => slice?.close());

  it('counts ratings per score and watched rows as the file has them', async () => {
    const rows = ratingRows(slice.ratingsCsv);
    const data = await graphqlData(slice.server.url, '{ catalogStats { ratings watched ratingHistogram { rating count } } }');
    const expected = Array.from({ length: 10 }, (_, k) => ({ rating: k + 1, count: rows.filter((r) => r.rating === k + 1).length }));
    expect(data.catalogStats.ratingHistogram).toEqual(expected);
    expect(data.catalogStats.watched).toBe(rows.filter((r) => r.rating === -1).length);
    expect(expected.reduce((sum, bin) => sum + bin.count, 0)).toBe(data.catalogStats.ratings);
  });

  it('bins every anime by its number of ratings and lists the most rated', async () => {
    const perAnime = new Map<number, { count: number; sum: number }>();
    for (const { anime, rating } of ratingRows(slice.ratingsCsv)) {
      if (rating < 1) continue;
      const entry = perAnime.get(anime) ?? { count: 0, sum: 0 };
      entry.count++;
      entry.sum += rating;
      perAnime.set(anime, entry);
    }
    const data = await graphqlData(
      slice.server.url,
      '{ catalogStats { anime ratingsPerAnime { min max anime } mostRated(k: 5) { anime { id name } ratings meanRating } } }',
    );
    const bins = data.catalogStats.ratingsPerAnime as { min: number; max: number; anime: number }[];
    expect(bins[0]).toEqual({ min: 0, max: 0, anime: data.catalogStats.anime - perAnime.size });
    for (const bin of bins.slice(1)) {
      const inBin = [...perAnime.values()].filter((entry) => entry.count >= bin.min && entry.count <= bin.max).length;
      expect(bin).toEqual({ min: bin.min, max: bin.max, anime: inBin });
    }
    expect(bins.reduce((sum, bin) => sum + bin.anime, 0)).toBe(data.catalogStats.anime);

    const expectedTop = [...perAnime.entries()].sort((a, b) => b[1].count - a[1].count || a[0] - b[0]).slice(0, 5);
    expect(data.catalogStats.mostRated.map((m: { anime: { id: number } }) => m.anime.id)).toEqual(expectedTop.map(([id]) => id));
    data.catalogStats.mostRated.forEach((m: { ratings: number; meanRating: number }, k: number) => {
      expect(m.ratings).toBe(expectedTop[k]![1].count);
      expect(m.meanRating).toBeCloseTo(expectedTop[k]![1].sum / expectedTop[k]![1].count, 10);
    });
  });

  it('refuses a most-rated list longer than 100', async () => {
    const body = await graphql(slice.server.url, '{ catalogStats { mostRated(k: 101) { ratings } } }');
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('keeps a held-out (true, predicted) sample with a trained model, apart from its metrics', async () => {
    const report: TrainingReport = await runTraining(slice.server.db, {
      kind: 'mf',
      preset: 'default',
      overrides: { embeddingDim: 8, epochs: 2 },
      activate: 'always',
      map: null,
      rankingUsers: 20,
    });
    const data = await graphqlData(slice.server.url, '{ models { nodes { id metrics predictionSample { actual predicted } } } }');
    const version = data.models.nodes.find((m: { id: number }) => m.id === report.modelVersionId);
    const sample = version.predictionSample as { actual: number[]; predicted: number[] };
    expect(sample.actual).toHaveLength(Math.min(PREDICTION_SAMPLE_SIZE, report.dataset.test));
    expect(sample.predicted).toHaveLength(sample.actual.length);
    for (const value of sample.actual) expect(Number.isInteger(value) && value >= 1 && value <= 10).toBe(true);
    for (const value of sample.predicted) expect(value >= 1 && value <= 10).toBe(true);
    // The sample's error is that of the test set it was drawn from (within sampling noise).
    const mae = sample.actual.reduce((sum, actual, k) => sum + Math.abs(actual - sample.predicted[k]!), 0) / sample.actual.length;
    expect(Math.abs(mae - report.metrics.test.mae)).toBeLessThan(0.25);
    expect(version.metrics.testSample).toBeUndefined();
    expect(version.metrics.test.mae).toBeCloseTo(report.metrics.test.mae, 10);
  });
});
