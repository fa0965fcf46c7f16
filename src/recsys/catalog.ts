/** Catalog lookups and counts: plain functions over the database, used by GraphQL and the CLI. */
import type { Database } from '../db/database';
import type { Anime } from '../generated/prisma/client';

export type { Anime };

export function findAnime(db: Database, id: number): Promise<Anime | null> {
  return db.prisma().anime.findUnique({ where: { id } });
}

/** Anime for each id, in the order asked, null where there is none (a DataLoader batch). */
export async function findAnimeByIds(db: Database, ids: readonly number[]): Promise<(Anime | null)[]> {
  const found = await db.prisma().anime.findMany({ where: { id: { in: [...ids] } } });
  const byId = new Map(found.map((anime) => [anime.id, anime]));
  return ids.map((id) => byId.get(id) ?? null);
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

export async function catalogStats(db: Database): Promise<CatalogStats> {
  return (await db.query<CatalogStats>(COUNTS)).rows[0]!;
}
