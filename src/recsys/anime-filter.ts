/**
 * The catalogue filter that `similarAnime`, `recommendations` and `animes` share, and its one
 * translation into SQL over the `anime` table.
 */

export interface AnimeFilter {
  /** Anime having ALL of these genres. */
  genres?: string[] | null;
  /** Anime of ANY of these types. */
  types?: string[] | null;
  /** Anime with at least this many members. */
  minMembers?: number | null;
}

/** Whether `filter` excludes anything. */
export function isFiltered(filter: AnimeFilter | undefined): filter is AnimeFilter {
  return Boolean(filter?.genres?.length || filter?.types?.length || (filter?.minMembers !== undefined && filter.minMembers !== null));
}

/**
 * `filter` as SQL conditions on the anime table aliased `alias`, each prefixed with ` AND `
 * (empty when nothing is filtered); values are bound by appending them to `params`.
 */
export function animeFilterSql(filter: AnimeFilter | undefined, params: unknown[], alias: string): string {
  const conditions: string[] = [];
  if (filter?.genres?.length) {
    params.push(filter.genres);
    conditions.push(`${alias}.genres @> $${params.length}::text[]`);
  }
  if (filter?.types?.length) {
    params.push(filter.types);
    conditions.push(`${alias}.type = ANY($${params.length}::text[])`);
  }
  if (filter?.minMembers !== undefined && filter.minMembers !== null) {
    params.push(filter.minMembers);
    conditions.push(`${alias}.members >= $${params.length}`);
  }
  return conditions.map((condition) => ` AND ${condition}`).join('');
}
