/** Catalog lookups and counts: plain functions over the database, used by GraphQL and the CLI. */
import type { Database } from '../db/database';
import type { Anime } from '../generated/prisma/client';
import { animeFilterSql, type AnimeFilter } from './anime-filter';
import { decodeCursor, pageOf, type Page } from './cursor';

export type { Anime };

/** Anime for each id, in the order asked, null where there is none (a DataLoader batch). */
export async function findAnimeByIds(db: Database, ids: readonly number[]): Promise<(Anime | null)[]> {
  const found = await db.prisma().anime.findMany({ where: { id: { in: [...ids] } } });
  const byId = new Map(found.map((anime) => [anime.id, anime]));
  return ids.map((id) => byId.get(id) ?? null);
}

/**
 * Statistics over whole tables (counts, histograms) cost a full scan each: 0.8-1.3 s on the
 * demo data. They are computed once and kept until the data changes: this process's rating
 * writes, user changes and ingests call `dataChanged`. Writes by other processes (another API
 * server, a CLI ingest on PostgreSQL) show after at most STATS_MAX_AGE_MS.
 */
export const STATS_MAX_AGE_MS = 60_000;

interface StatsCache {
  since: number;
  values: Map<string, Promise<unknown>>;
}

const statsCaches = new WeakMap<Database, StatsCache>();

/** `compute()`'s result under `key`, computed once per data version (concurrent askers share it). */
export function cachedStat<T>(db: Database, key: string, compute: () => Promise<T>): Promise<T> {
  let cache = statsCaches.get(db);
  if (!cache || Date.now() - cache.since > STATS_MAX_AGE_MS) {
    cache = { since: Date.now(), values: new Map() };
    statsCaches.set(db, cache);
  }
  let value = cache.values.get(key) as Promise<T> | undefined;
  if (!value) {
    const values = cache.values;
    value = compute();
    values.set(key, value);
    // A failure is not kept: the next ask tries again.
    value.catch(() => values.get(key) === value && values.delete(key));
  }
  return value;
}

/** Forgets the cached statistics of `db`: its ratings, users or catalog changed. */
export function dataChanged(db: Database): void {
  statsCaches.delete(db);
}

export interface CatalogStats {
  anime: number;
  users: number;
  ratings: number;
  /** "Watched, not rated" pairs (the source's -1). */
  watched: number;
}

const COUNTS = `
SELECT (SELECT count(*) FROM anime) AS anime, (SELECT count(*) FROM app_user) AS users,
       (SELECT count(*) FROM rating) AS ratings, (SELECT count(*) FROM watched) AS watched`;

export function catalogStats(db: Database): Promise<CatalogStats> {
  return cachedStat(db, 'counts', async () => (await db.query<CatalogStats>(COUNTS)).rows[0]!);
}

export interface AnimeSearch extends AnimeFilter {
  /** Case-insensitive substring of the name. */
  search?: string | null;
}

/** `text` with LIKE's wildcards (% and _) and its escape character escaped: the search is literal. */
function literalPattern(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The conditions of a search (shared by the page and its count), binding its values into `params`. */
function searchSql(query: AnimeSearch, params: unknown[]): string {
  let sql = animeFilterSql(query, params, 'a');
  if (query.search) {
    params.push(`%${literalPattern(query.search)}%`);
    sql += ` AND a.name ILIKE $${params.length}`;
  }
  return sql;
}

/** The anime table's columns under the Prisma model's field names. */
const ANIME_COLUMNS = `a.id, a.name, a.genres, a.type, a.episodes, a.community_rating AS "communityRating", a.members,
  a.created_at AS "createdAt", a.updated_at AS "updatedAt"`;

const isAnimeKey = (key: readonly unknown[]) => key.length === 2 && key.every(Number.isInteger);

/** A page of anime ordered by popularity (members, then id), after the cursor of a previous one. */
export async function searchAnime(db: Database, query: AnimeSearch, first: number, after: string | null): Promise<Page<Anime>> {
  const cursor = after === null ? null : decodeCursor<[number, number]>(after, isAnimeKey);
  const params: unknown[] = [];
  let where = searchSql(query, params);
  if (cursor) {
    params.push(cursor[0], cursor[1]);
    where += ` AND (a.members < $${params.length - 1} OR (a.members = $${params.length - 1} AND a.id > $${params.length}))`;
  }
  params.push(first + 1);
  const { rows } = await db
    .forReads()
    .query<Anime>(`SELECT ${ANIME_COLUMNS} FROM anime a WHERE true${where} ORDER BY a.members DESC, a.id LIMIT $${params.length}`, params);
  return pageOf(rows, first, (anime) => [anime.members, anime.id]);
}

/** How many anime a search matches in all. */
export async function countAnime(db: Database, query: AnimeSearch): Promise<number> {
  const params: unknown[] = [];
  const { rows } = await db.forReads().query<{ count: number }>(`SELECT count(*)::int AS count FROM anime a WHERE true${searchSql(query, params)}`, params);
  return rows[0]!.count;
}
