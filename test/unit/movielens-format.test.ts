import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { RowError } from '../../src/ingest/input-error';
import {
  movielens100kItemTable,
  movielens100kRatingTable,
  movielensFormat,
  movielensMoviesTable,
  movielensRatingsTable,
} from '../../src/ingest/formats/movielens';
import type { AnimeRecord, RatingRecord } from '../../src/ingest/records';
import type { TableFormat } from '../../src/ingest/table-format';

const FIXTURES = join(__dirname, '..', 'fixtures', 'movielens');

function readText(file: string, encoding: BufferEncoding): string {
  return readFileSync(join(FIXTURES, file)).toString(encoding);
}

function firstLine(file: string, encoding: BufferEncoding): string {
  return readText(file, encoding).split(/\r?\n/)[0]!;
}

/** A stand-in for the generic reader: split the fixture as the table says, check shape, parse every row. */
function readTable<T>(table: TableFormat<T>, file: string): T[] {
  const text = readText(file, table.encoding);
  const rows: string[][] = table.quoted
    ? parseCsv(text, { delimiter: table.delimiter })
    : text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split(table.delimiter));
  if (table.header !== null) expect(rows.shift()).toEqual(table.header);
  for (const row of rows) expect(row).toHaveLength(table.columns);
  return rows.map((row) => table.parse(row));
}

const movie = (id: number, name: string, genres: string[]): AnimeRecord => ({
  id,
  name,
  genres,
  type: 'Movie',
  episodes: 1,
  communityRating: null,
  members: null,
});

describe('movielensFormat sniffing', () => {
  it.each([
    ['100k/u.item', 'latin1', movielens100kItemTable],
    ['latest/movies.csv', 'utf8', movielensMoviesTable],
  ] as const)('picks the item table for %s', (file, encoding, table) => {
    expect(movielensFormat.animeTable(firstLine(file, encoding))).toBe(table);
  });

  it.each([
    ['100k/u.data', movielens100kRatingTable],
    ['latest/ratings.csv', movielensRatingsTable],
  ] as const)('picks the ratings table for %s', (file, table) => {
    expect(movielensFormat.ratingsTable(firstLine(file, 'utf8'))).toBe(table);
  });

  it.each([
    ['anime_id,name,genre,type,episodes,rating,members'],
    ['1,Toy Story (1995),Animation'],
    [''],
  ])('rejects item first line %j', (line) => {
    expect(() => movielensFormat.animeTable(line)).toThrow(
      new RowError('expected a MovieLens u.item line (pipe-separated) or movies.csv header "movieId,title,genres"'),
    );
  });

  it.each([['user_id,anime_id,rating'], ['1,1,4.0,964982703'], ['1|1|5|881250949']])(
    'rejects ratings first line %j',
    (line) => {
      expect(() => movielensFormat.ratingsTable(line)).toThrow(/expected a MovieLens u\.data line \(tab-separated\)/);
    },
  );
});

describe('MovieLens 100k', () => {
  const items = readTable(movielens100kItemTable, '100k/u.item');
  const ratings = readTable(movielens100kRatingTable, '100k/u.data');

  it('reads u.item: Latin-1 titles, plain quotes, genres from flags without "unknown"', () => {
    expect(items).toHaveLength(7);
    expect(items).toEqual(
      expect.arrayContaining([
        movie(1, 'Paper Kites Over Osaka (1995)', ['Animation', "Children's", 'Comedy']),
        movie(3, 'Café du Port (1996)', ['Comedy', 'Romance']),
        movie(4, 'The "Lucky" Seven (1997)', ['Action', 'Western']),
        movie(6, 'Night Harbor (1949)', ['Film-Noir', 'Mystery']),
        movie(7, 'unknown', []),
      ]),
    );
  });

  it('reads u.data, doubling 1-5 stars onto 2-10', () => {
    expect(ratings).toHaveLength(8);
    expect(ratings.slice(0, 4)).toEqual([
      { userId: 1, animeId: 1, rating: 10 },
      { userId: 1, animeId: 3, rating: 8 },
      { userId: 2, animeId: 2, rating: 6 },
      { userId: 2, animeId: 4, rating: 2 },
    ]);
  });

  it('rates only movies in u.item', () => {
    const ids = new Set(items.map((item) => item.id));
    for (const rating of ratings) expect(ids).toContain(rating.animeId);
  });
});

describe('MovieLens latest', () => {
  const movies = readTable(movielensMoviesTable, 'latest/movies.csv');
  const ratings = readTable(movielensRatingsTable, 'latest/ratings.csv');

  it('reads movies.csv: quoted titles, pipe-separated genres, "(no genres listed)"', () => {
    expect(movies).toHaveLength(6);
    expect(movies).toEqual(
      expect.arrayContaining([
        movie(2, 'Lantern Keeper, The (1998)', ['Drama', 'Mystery']),
        movie(3, 'Café du Port (1996)', ['Comedy', 'Romance']),
        movie(4, 'The "Lucky" Seven (1997)', ['Action', 'Western']),
        movie(6, 'Untitled Harbor Project (2021)', []),
      ]),
    );
  });

  it('reads ratings.csv, doubling half stars onto 1-10', () => {
    expect(ratings.map((rating) => rating.rating)).toEqual([8, 7, 1, 10, 5, 9, 2]);
    expect(ratings[0]).toEqual({ userId: 1, animeId: 1, rating: 8 });
  });

  it('rates only movies in movies.csv', () => {
    const ids = new Set(movies.map((item) => item.id));
    for (const rating of ratings) expect(ids).toContain(rating.animeId);
  });
});

describe('row errors', () => {
  const ITEM = ['1', 'Paper Kites (1995)', '01-Jan-1995', '', '', ...Array<string>(19).fill('0')];
  const withField = (row: readonly string[], index: number, value: string) =>
    row.map((field, i) => (i === index ? value : field));
  const table = {
    'u.item': movielens100kItemTable,
    'u.data': movielens100kRatingTable,
    'movies.csv': movielensMoviesTable,
    'ratings.csv': movielensRatingsTable,
  } as const;

  it.each<[keyof typeof table, string, readonly string[]]>([
    ['u.item', 'movie id must be an integer, found "abc"', withField(ITEM, 0, 'abc')],
    ['u.item', 'movie id must be between 1 and 2147483647, found 0', withField(ITEM, 0, '0')],
    ['u.item', 'title is empty', withField(ITEM, 1, ' ')],
    ['u.item', 'Action flag must be between 0 and 1, found 2', withField(ITEM, 6, '2')],
    ['u.item', 'unknown flag must be an integer, found empty', withField(ITEM, 5, '')],
    ['u.data', 'user id must be an integer, found "x"', ['x', '1', '5', '881250949']],
    ['u.data', 'item id must be an integer, found "1.5"', ['1', '1.5', '5', '881250949']],
    ['u.data', 'rating must be between 1 and 5, found 0', ['1', '1', '0', '881250949']],
    ['u.data', 'rating must be between 1 and 5, found 6', ['1', '1', '6', '881250949']],
    ['u.data', 'rating must be an integer, found "4.5"', ['1', '1', '4.5', '881250949']],
    ['u.data', 'timestamp must be between 0 and 9007199254740991, found -1', ['1', '1', '5', '-1']],
    ['movies.csv', 'movieId must be an integer, found "m1"', ['m1', 'Title (1995)', 'Drama']],
    ['movies.csv', 'title is empty', ['1', '', 'Drama']],
    ['ratings.csv', 'rating must be between 0.5 and 5, found 0', ['1', '1', '0', '964982703']],
    ['ratings.csv', 'rating must be between 0.5 and 5, found 5.5', ['1', '1', '5.5', '964982703']],
    ['ratings.csv', 'rating must be in half-star steps, found 2.25', ['1', '1', '2.25', '964982703']],
    ['ratings.csv', 'rating must be a number, found "four"', ['1', '1', 'four', '964982703']],
    ['ratings.csv', 'userId must be an integer, found "u1"', ['u1', '1', '4.0', '964982703']],
    ['ratings.csv', 'movieId must be an integer, found empty', ['1', '', '4.0', '964982703']],
    ['ratings.csv', 'timestamp must be an integer, found "9.6e8"', ['1', '1', '4.0', '9.6e8']],
  ])('%s: %s', (name, message, fields) => {
    expect(() => table[name].parse(fields)).toThrow(new RowError(message));
  });
});
