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
    const anime = await tx.query<{ id: number; type: string | null }>('SELECT id, type FROM anime');
    const types = filters.types === null ? null : new Set(filters.types);
    const typed = types === null ? null : new Set(anime.rows.filter((a) => a.type !== null && types.has(a.type)).map((a) => a.id));
    const api = await tx.query<{ id: number }>(`SELECT id FROM app_user WHERE source <> 'ingest'`);
    return new RatingGate(file, new Set(anime.rows.map((a) => a.id)), typed, new Set(api.rows.map((u) => u.id)), filters);
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
