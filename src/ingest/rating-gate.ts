/**
 * What each rating row is checked against while it is read, so a bad row is reported with its
 * line as soon as it is met and the database never sees it: the anime catalog (as it stands in
 * the load's transaction, after the anime file of the same run) and the users created through
 * the API. Also applies the row-by-row filters (drop -1, types, user ids) where the load can.
 */
import type { Queryable } from '../db/database';
import type { RatingFilters } from './filters';
import { InputError } from './input-error';
import { WATCHED_UNRATED, type RatingRecord } from './records';

export class RatingGate {
  private constructor(
    private readonly file: string,
    private readonly knownAnime: ReadonlySet<number>,
    /** Anime the `types` filter keeps; null keeps all. */
    private readonly typedAnime: ReadonlySet<number> | null,
    private readonly apiUsers: ReadonlySet<number>,
    private readonly filters: RatingFilters,
  ) {}

  static async load(tx: Queryable, file: string, filters: RatingFilters): Promise<RatingGate> {
    const ids = async (sql: string, params: unknown[] = []) =>
      new Set((await tx.query<{ ids: number[] | null }>(sql, params)).rows[0]!.ids ?? []);
    // One array, not a row per id: 12k rows cost PGlite 0.4-0.8 s to hand over, the array 0.1 s.
    const known = await ids('SELECT array_agg(id) AS ids FROM anime');
    const typed = filters.types === null ? null : await ids('SELECT array_agg(id) AS ids FROM anime WHERE type = ANY($1::text[])', [filters.types]);
    const api = await ids(`SELECT array_agg(id) AS ids FROM app_user WHERE source <> 'ingest'`);
    return new RatingGate(file, known, typed, api, filters);
  }

  /**
   * The problem with a row, or null. A user id of an API user is thrown at once (never skipped:
   * the file and the database disagree about who that user is).
   */
  check(line: number, rating: RatingRecord): InputError | null {
    if (this.apiUsers.size > 0 && this.apiUsers.has(rating.userId)) {
      throw new InputError(this.file, line, `user_id ${rating.userId} belongs to a user created through the API`);
    }
    if (!this.knownAnime.has(rating.animeId)) {
      return new InputError(this.file, line, `unknown anime_id ${rating.animeId} (not in the anime table)`);
    }
    return null;
  }

  /** Whether the row-by-row filters keep the row (`minAnimeRatings` needs the whole file: not here). */
  keeps(rating: RatingRecord): boolean {
    const { dropUnrated, userIdBelow } = this.filters;
    if (dropUnrated && rating.rating === WATCHED_UNRATED) return false;
    if (userIdBelow !== null && rating.userId >= userIdBelow) return false;
    return this.typedAnime === null || this.typedAnime.has(rating.animeId);
  }
}
