/**
 * MovieLens, in its two layouts: 100k (u.item, u.data: pipe/tab-separated, no header) and
 * latest/25m/small (movies.csv, ratings.csv: RFC 4180 CSV with headers). The layout is sniffed
 * from each file's first line. Movies become items of type 'Movie' with one episode; MovieLens
 * has no community score or member count, so members are counted from ratings by the loader.
 */
import { ID_RANGE, parseDecimal, parseInteger, parseRequiredText } from '../fields';
import { RowError } from '../input-error';
import type { AnimeRecord, RatingRecord } from '../records';
import type { DatasetFormat, TableFormat } from '../table-format';

export const MOVIELENS_MOVIES_HEADER = ['movieId', 'title', 'genres'] as const;
export const MOVIELENS_RATINGS_HEADER = ['userId', 'movieId', 'rating', 'timestamp'] as const;

/** u.item's genre flag columns, in file order; flag 1 means the movie has the genre. */
export const MOVIELENS_100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/** movies.csv's value for a movie without genres. */
const NO_GENRES = '(no genres listed)';
/** Unix seconds; checked so a shifted column is caught, but not stored. */
const TIMESTAMP_RANGE = { min: 0, max: Number.MAX_SAFE_INTEGER } as const;

/** Items of either layout: the fields MovieLens lacks are fixed. */
function movie(id: number, name: string, genres: string[]): AnimeRecord {
  return { id, name, genres, type: 'Movie', episodes: 1, communityRating: null, members: null };
}

export const movielens100kItemTable: TableFormat<AnimeRecord> = {
  delimiter: '|',
  encoding: 'latin1',
  header: null,
  columns: 5 + MOVIELENS_100K_GENRES.length,
  // Titles use '"' as a plain character.
  quoted: false,
  parse([id, title, , , , ...flags]): AnimeRecord {
    const genres = MOVIELENS_100K_GENRES.filter(
      (genre, i) => parseInteger(`${genre} flag`, flags[i]!, { min: 0, max: 1 }) === 1 && genre !== 'unknown',
    );
    return movie(parseInteger('movie id', id!, ID_RANGE), parseRequiredText('title', title!), genres);
  },
};

export const movielens100kRatingTable: TableFormat<RatingRecord> = {
  delimiter: '\t',
  encoding: 'utf8',
  header: null,
  columns: 4,
  quoted: false,
  parse([userId, itemId, rating, timestamp]): RatingRecord {
    parseInteger('timestamp', timestamp!, TIMESTAMP_RANGE);
    return {
      userId: parseInteger('user id', userId!, ID_RANGE),
      animeId: parseInteger('item id', itemId!, ID_RANGE),
      // 1-5 stars onto the 1-10 scale.
      rating: parseInteger('rating', rating!, { min: 1, max: 5 }) * 2,
    };
  },
  parseIntegers([userId, itemId, rating, timestamp]): RatingRecord | undefined {
    const inRange = (value: number, range: { min: number; max: number }) => value >= range.min && value <= range.max;
    const valid = inRange(timestamp!, TIMESTAMP_RANGE) && inRange(userId!, ID_RANGE) && inRange(itemId!, ID_RANGE) && inRange(rating!, { min: 1, max: 5 });
    return valid ? { userId: userId!, animeId: itemId!, rating: rating! * 2 } : undefined;
  },
};

export const movielensMoviesTable: TableFormat<AnimeRecord> = {
  delimiter: ',',
  encoding: 'utf8',
  header: MOVIELENS_MOVIES_HEADER,
  columns: MOVIELENS_MOVIES_HEADER.length,
  quoted: true,
  parse([id, title, genres]): AnimeRecord {
    const names = genres!.trim() === NO_GENRES ? [] : genres!.split('|').map((genre) => genre.trim());
    return movie(
      parseInteger('movieId', id!, ID_RANGE),
      parseRequiredText('title', title!),
      names.filter((genre) => genre !== ''),
    );
  },
};

export const movielensRatingsTable: TableFormat<RatingRecord> = {
  delimiter: ',',
  encoding: 'utf8',
  header: MOVIELENS_RATINGS_HEADER,
  columns: MOVIELENS_RATINGS_HEADER.length,
  quoted: true,
  parse([userId, movieId, rating, timestamp]): RatingRecord {
    const stars = parseDecimal('rating', rating!, { min: 0.5, max: 5 });
    // Half stars double to whole points on the 1-10 scale; anything finer has no place there.
    if (!Number.isInteger(stars * 2)) throw new RowError(`rating must be in half-star steps, found ${rating!.trim()}`);
    parseInteger('timestamp', timestamp!, TIMESTAMP_RANGE);
    return {
      userId: parseInteger('userId', userId!, ID_RANGE),
      animeId: parseInteger('movieId', movieId!, ID_RANGE),
      rating: stars * 2,
    };
  },
};

export const movielensFormat: DatasetFormat = {
  name: 'movielens',
  animeTable(firstLine) {
    // movies.csv starts with its header; u.item has none, so its first line is a movie.
    if (firstLine.startsWith('movieId')) return movielensMoviesTable;
    if (firstLine.includes('|')) return movielens100kItemTable;
    throw new RowError('expected a MovieLens u.item line (pipe-separated) or movies.csv header "movieId,title,genres"');
  },
  ratingsTable(firstLine) {
    if (firstLine.startsWith('userId')) return movielensRatingsTable;
    if (firstLine.includes('\t')) return movielens100kRatingTable;
    throw new RowError(
      'expected a MovieLens u.data line (tab-separated) or ratings.csv header "userId,movieId,rating,timestamp"',
    );
  },
};
