/** What every dataset format reads its files into, before validation against the database. */

/** One catalog item (an anime; a movie for MovieLens). */
export interface AnimeRecord {
  id: number;
  name: string;
  genres: string[];
  type: string | null;
  /** null when unknown (still airing). */
  episodes: number | null;
  /** Community mean score 0-10, null when the source has none. */
  communityRating: number | null;
  /** Community size (MAL members); null when the format has none: then it is counted from ratings. */
  members: number | null;
}

/** Rating value the source uses for "watched, not rated". */
export const WATCHED_UNRATED = -1;

export interface RatingRecord {
  userId: number;
  animeId: number;
  /** 1-10, or WATCHED_UNRATED. */
  rating: number;
}
