/**
 * The Kaggle "Anime Recommendations Database" files: anime.csv and rating.csv (RFC 4180 CSV).
 * Names carry HTML entities from MyAnimeList's API (`Gintama&#039;`); they are decoded here.
 */
import { decode as decodeHtmlEntities } from 'html-entities';
import { ID_RANGE, parseDecimal, parseInteger, parseRequiredText } from '../fields';
import { RowError } from '../input-error';
import { WATCHED_UNRATED, type AnimeRecord, type RatingRecord } from '../records';
import type { DatasetFormat, TableFormat } from '../table-format';
import { MAX_RATING, MIN_RATING } from '../../models/rating-scale';

export const KAGGLE_ANIME_HEADER = ['anime_id', 'name', 'genre', 'type', 'episodes', 'rating', 'members'] as const;
export const KAGGLE_RATING_HEADER = ['user_id', 'anime_id', 'rating'] as const;

const COUNT_RANGE = { min: 0, max: ID_RANGE.max } as const;

function parseGenres(value: string): string[] {
  return value
    .split(',')
    .map((genre) => genre.trim())
    .filter((genre) => genre !== '');
}

export const kaggleAnimeTable: TableFormat<AnimeRecord> = {
  delimiter: ',',
  encoding: 'utf8',
  header: KAGGLE_ANIME_HEADER,
  columns: KAGGLE_ANIME_HEADER.length,
  quoted: true,
  parse([id, name, genre, type, episodes, rating, members]): AnimeRecord {
    return {
      id: parseInteger('anime_id', id!, ID_RANGE),
      name: decodeHtmlEntities(parseRequiredText('name', name!)),
      genres: parseGenres(genre!),
      type: type!.trim() === '' ? null : type!.trim(),
      episodes: episodes!.trim() === 'Unknown' ? null : parseInteger('episodes', episodes!, COUNT_RANGE),
      communityRating: rating!.trim() === '' ? null : parseDecimal('rating', rating!, { min: 0, max: 10 }),
      members: parseInteger('members', members!, COUNT_RANGE),
    };
  },
};

export const kaggleRatingTable: TableFormat<RatingRecord> = {
  delimiter: ',',
  encoding: 'utf8',
  header: KAGGLE_RATING_HEADER,
  columns: KAGGLE_RATING_HEADER.length,
  quoted: true,
  parse([userId, animeId, rating]): RatingRecord {
    const value = parseInteger('rating', rating!, { min: -Infinity, max: Infinity });
    if (value !== WATCHED_UNRATED && (value < MIN_RATING || value > MAX_RATING)) {
      throw new RowError(`rating must be -1 (watched) or between ${MIN_RATING} and ${MAX_RATING}, found ${value}`);
    }
    return {
      userId: parseInteger('user_id', userId!, ID_RANGE),
      animeId: parseInteger('anime_id', animeId!, ID_RANGE),
      rating: value,
    };
  },
  parseIntegers([userId, animeId, rating]): RatingRecord | undefined {
    const valid =
      (rating === WATCHED_UNRATED || (rating! >= MIN_RATING && rating! <= MAX_RATING)) &&
      userId! >= ID_RANGE.min && userId! <= ID_RANGE.max && animeId! >= ID_RANGE.min && animeId! <= ID_RANGE.max;
    return valid ? { userId: userId!, animeId: animeId!, rating: rating! } : undefined;
  },
};

export const kaggleFormat: DatasetFormat = {
  name: 'kaggle',
  animeTable: () => kaggleAnimeTable,
  ratingsTable: () => kaggleRatingTable,
};
