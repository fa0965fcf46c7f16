/**
 * similarAnime as a service, on both drivers without HTTP: against an exact cosine ranking of
 * the served item vectors, unfiltered (the in-memory scan) and filtered (pgvector's HNSW search
 * with the filter in SQL).
 */
import { NotFoundError } from '../../src/errors';
import { ModelCache, type ServingModel } from '../../src/recsys/model-cache';
import { similarAnime } from '../../src/recsys/similar';
import type { AnimeFilter } from '../../src/recsys/anime-filter';
import { describeEachDriver } from '../helpers/databases';
import { FIXTURE_SIZE, openFixtureDatabase, type FixtureDatabase } from '../reliability/fixture-server';

/** Catalog columns the filters read, by id: thirds of genres, alternating types, members growing with the id. */
const CATALOG_COLUMNS = `UPDATE anime SET
  genres = CASE id % 3 WHEN 0 THEN ARRAY['Action', 'Drama'] WHEN 1 THEN ARRAY['Action'] ELSE ARRAY['Comedy'] END,
  type = CASE WHEN id % 2 = 0 THEN 'TV' ELSE 'Movie' END,
  members = id * 10`;

interface Anime {
  id: number;
  genres: string[];
  type: string;
  members: number;
}

function passes(anime: Anime, filter: AnimeFilter): boolean {
  return (
    (filter.genres ?? []).every((genre) => anime.genres.includes(genre)) &&
    (!filter.types?.length || filter.types.includes(anime.type)) &&
    (filter.minMembers === undefined || filter.minMembers === null || anime.members >= filter.minMembers)
  );
}

/** Every other served anime by cosine similarity to `animeId`, best first, in float64 from the served vectors. */
function exactRanking(serving: ServingModel, animeId: number): { animeId: number; similarity: number }[] {
  const { itemIds, itemEmbeddings, hyper } = serving.model;
  const dim = hyper.embeddingDim;
  const vector = (row: number) => Array.from(itemEmbeddings.subarray(row * dim, (row + 1) * dim));
  const norm = (v: number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  const query = vector(serving.itemRow.get(animeId)!);
  return Array.from(itemIds, (id, row) => {
    const other = vector(row);
    return { animeId: id, similarity: query.reduce((sum, x, j) => sum + x * other[j]!, 0) / (norm(query) * norm(other)) };
  })
    .filter((entry) => entry.animeId !== animeId)
    .sort((a, b) => b.similarity - a.similarity);
}

describeEachDriver('similarAnime', (driver) => {
  let fixture: FixtureDatabase;
  let serving: ServingModel;
  let catalog: Map<number, Anime>;
  /** Anime the model has vectors for: its first, second, middle and last. */
  let probes: number[];

  beforeAll(async () => {
    fixture = await openFixtureDatabase(driver);
    await fixture.db.query(CATALOG_COLUMNS);
    const { rows } = await fixture.db.query<Anime>('SELECT id, genres, type, members FROM anime');
    catalog = new Map(rows.map((row) => [row.id, row]));
    serving = (await new ModelCache(fixture.db).currentOrLoaded())!;
    expect(serving.versionId).toBe(fixture.versionId);
    const ids = serving.model.itemIds;
    probes = [ids[0]!, ids[1]!, ids[ids.length >> 1]!, ids[ids.length - 1]!];
  });
  afterAll(() => fixture?.dispose());

  it('unfiltered: the exact cosine top 10, best first, never the anime itself', async () => {
    for (const animeId of probes) {
      const exact = exactRanking(serving, animeId).slice(0, 10);
      const found = await similarAnime(fixture.db, serving, animeId, 10);
      expect(found.map((s) => s.animeId)).toEqual(exact.map((s) => s.animeId));
      found.forEach((s, n) => expect(s.similarity).toBeCloseTo(exact[n]!.similarity, 5));
    }
  });

  it('a smaller k is the prefix of a larger one', async () => {
    const many = await similarAnime(fixture.db, serving, probes[2]!, 40);
    expect(many).toHaveLength(40);
    expect(await similarAnime(fixture.db, serving, probes[2]!, 7)).toEqual(many.slice(0, 7));
  });

  const filters: [string, AnimeFilter][] = [
    ['a genre', { genres: ['Drama'] }],
    ['two genres', { genres: ['Action', 'Drama'] }],
    ['a type', { types: ['TV'] }],
    ['a type and a minimum of members', { types: ['Movie'], minMembers: 1000 }],
  ];

  it.each(filters)('filtered by %s: k anime that pass, nearly the exact filtered ranking (recall@10 ≥ 0.9)', async (_name, filter) => {
    for (const animeId of probes) {
      const exact = exactRanking(serving, animeId).filter((s) => passes(catalog.get(s.animeId)!, filter)).slice(0, 10);
      const found = await similarAnime(fixture.db, serving, animeId, 10, filter);
      expect(found).toHaveLength(10);
      for (const s of found) expect(passes(catalog.get(s.animeId)!, filter)).toBe(true);
      expect(found.map((s) => s.animeId)).not.toContain(animeId);
      const similarities = found.map((s) => s.similarity);
      expect(similarities).toEqual([...similarities].sort((a, b) => b - a));
      const hits = found.filter((s) => exact.some((e) => e.animeId === s.animeId)).length;
      expect(hits / exact.length).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('a filter fewer anime pass than k asks for returns each of them once', async () => {
    const filter: AnimeFilter = { types: ['TV'], minMembers: (FIXTURE_SIZE.items - 10) * 10 };
    const animeId = probes[0]!;
    const passing = [...catalog.values()].filter((anime) => anime.id !== animeId && serving.itemRow.has(anime.id) && passes(anime, filter));
    expect(passing.length).toBeGreaterThan(0);
    expect(passing.length).toBeLessThan(20);
    const found = await similarAnime(fixture.db, serving, animeId, 20, filter);
    expect(found.map((s) => s.animeId).sort((a, b) => a - b)).toEqual(passing.map((anime) => anime.id).sort((a, b) => a - b));
  });

  it('refuses an anime the model has no vector for with NotFoundError', async () => {
    await expect(similarAnime(fixture.db, serving, 999_999, 5)).rejects.toThrow(NotFoundError);
  });
});
