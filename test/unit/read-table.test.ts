import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { kaggleFormat } from '../../src/ingest/formats/kaggle';
import { InputError } from '../../src/ingest/input-error';
import { readTable, type TableRow } from '../../src/ingest/read-table';
import type { AnimeRecord, RatingRecord } from '../../src/ingest/records';
import type { TableFormat } from '../../src/ingest/table-format';

/** The reader's chunk size (createReadStream's highWaterMark in read-table.ts). */
const CHUNK = 1 << 16;
const ANIME_HEADER = 'anime_id,name,genre,type,episodes,rating,members';
const RATING_HEADER = 'user_id,anime_id,rating';

const anime = (line: number, record: Partial<AnimeRecord> & Pick<AnimeRecord, 'id' | 'name'>): TableRow<AnimeRecord> => ({
  line,
  record: { genres: ['Drama'], type: 'TV', episodes: 1, communityRating: 7, members: 10, ...record },
});
const rating = (line: number, userId: number, animeId: number, value: number): TableRow<RatingRecord> => ({
  line,
  record: { userId, animeId, rating: value },
});

const animeTable = (firstLine: string): TableFormat<AnimeRecord> => kaggleFormat.animeTable(firstLine);
const ratingsTable = (firstLine: string): TableFormat<RatingRecord> => kaggleFormat.ratingsTable(firstLine);

let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'animerec-read-table-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a fresh file in the temp folder and returns its path. */
function writeFile(content: string | Buffer, name = 'table.csv'): string {
  const path = join(dir, `${++fileCount}-${name}`);
  writeFileSync(path, content);
  return path;
}

const throwInvalid = (error: InputError): never => {
  throw error;
};

/** Reads every row; every yielded batch must be non-empty. */
async function readAll<T>(
  file: string,
  chooseFormat: (firstLine: string) => TableFormat<T>,
  options: { onInvalidRow?: (error: InputError) => void; onBytesRead?: (bytes: number) => void } = {},
): Promise<TableRow<T>[]> {
  const rows: TableRow<T>[] = [];
  for await (const batch of readTable(file, chooseFormat, {
    onInvalidRow: options.onInvalidRow ?? throwInvalid,
    onBytesRead: options.onBytesRead,
  })) {
    expect(batch.length).toBeGreaterThan(0);
    rows.push(...batch);
  }
  return rows;
}

/** The error readTable fails with; fails the test when it succeeds. */
async function readError<T>(
  file: string,
  chooseFormat: (firstLine: string) => TableFormat<T>,
  onInvalidRow: (error: InputError) => void = throwInvalid,
): Promise<unknown> {
  try {
    await readAll(file, chooseFormat, { onInvalidRow });
  } catch (error) {
    return error;
  }
  throw new Error(`expected reading ${file} to fail`);
}

async function expectInputError<T>(
  file: string,
  chooseFormat: (firstLine: string) => TableFormat<T>,
  message: string,
  onInvalidRow: (error: InputError) => void = throwInvalid,
): Promise<void> {
  const error = await readError(file, chooseFormat, onInvalidRow);
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).message).toBe(message);
  expect((error as InputError).code).toBe('BAD_INPUT_FILE');
}

const lf = (lines: readonly string[]): string => lines.map((line) => `${line}\n`).join('');
const crlf = (lines: readonly string[]): string => lines.map((line) => `${line}\r\n`).join('');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Deterministic pseudo-random generator, so large files are reproducible. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state;
  };
}

/** Rating rows (no header), `count` of them, with pseudo-random values; returns text and the rows. */
function ratingRows(count: number, firstLine: number, seed = 1): { text: string; rows: TableRow<RatingRecord>[] } {
  const next = lcg(seed);
  const rows: TableRow<RatingRecord>[] = [];
  let text = '';
  for (let i = 0; i < count; i++) {
    const userId = 1 + (next() % 70_000);
    const animeId = 1 + (next() % 35_000);
    const value = next() % 11 === 0 ? -1 : 1 + (next() % 10);
    text += `${userId},${animeId},${value}\n`;
    rows.push(rating(firstLine + i, userId, animeId, value));
  }
  return { text, rows };
}

const ANIME_LINES = [
  ANIME_HEADER,
  '32281,Kimi no Na wa.,"Drama, Romance, School, Supernatural",Movie,1,9.37,200630',
  '9253,"Name, with ""quotes""",Sci-Fi,TV,24,9.17,673572',
  '28977,Gintama&#039;,"Action, Comedy, Historical",TV,51,9.16,151266',
  '',
  '33662,Taka no Tsume 8,Comedy,Movie,Unknown,,13',
  '820,Ginga Eiyuu Densetsu,"Drama, Military, Sci-Fi, Space",OVA,110,9.11,80679',
] as const;

const ANIME_ROWS: TableRow<AnimeRecord>[] = [
  anime(2, {
    id: 32281,
    name: 'Kimi no Na wa.',
    genres: ['Drama', 'Romance', 'School', 'Supernatural'],
    type: 'Movie',
    episodes: 1,
    communityRating: 9.37,
    members: 200630,
  }),
  anime(3, { id: 9253, name: 'Name, with "quotes"', genres: ['Sci-Fi'], episodes: 24, communityRating: 9.17, members: 673572 }),
  anime(4, {
    id: 28977,
    name: "Gintama'",
    genres: ['Action', 'Comedy', 'Historical'],
    episodes: 51,
    communityRating: 9.16,
    members: 151266,
  }),
  anime(6, { id: 33662, name: 'Taka no Tsume 8', genres: ['Comedy'], type: 'Movie', episodes: null, communityRating: null, members: 13 }),
  anime(7, {
    id: 820,
    name: 'Ginga Eiyuu Densetsu',
    genres: ['Drama', 'Military', 'Sci-Fi', 'Space'],
    type: 'OVA',
    episodes: 110,
    communityRating: 9.11,
    members: 80679,
  }),
];

describe('readTable: line endings, BOM, gzip', () => {
  it.each([
    ['LF', lf(ANIME_LINES)],
    ['CRLF', crlf(ANIME_LINES)],
    ['LF without a final newline', lf(ANIME_LINES).slice(0, -1)],
    ['CRLF without a final newline', crlf(ANIME_LINES).slice(0, -2)],
    ['LF with a UTF-8 BOM', Buffer.concat([BOM, Buffer.from(lf(ANIME_LINES))])],
    ['CRLF with a UTF-8 BOM', Buffer.concat([BOM, Buffer.from(crlf(ANIME_LINES))])],
    ['gzipped LF', gzipSync(lf(ANIME_LINES))],
    ['gzipped CRLF with a BOM', gzipSync(Buffer.concat([BOM, Buffer.from(crlf(ANIME_LINES))]))],
  ])('%s gives the same records and line numbers', async (_name, content) => {
    const invalid = jest.fn();
    const rows = await readAll(writeFile(content), animeTable, { onInvalidRow: invalid });
    expect(rows).toEqual(ANIME_ROWS);
    expect(invalid).not.toHaveBeenCalled();
  });

  it('gives the same rating rows for a multi-chunk file, plain and gzipped', async () => {
    const { text, rows } = ratingRows(30_000, 2);
    const content = `${RATING_HEADER}\n${text}`;
    expect(content.length).toBeGreaterThan(3 * CHUNK);
    const plain = await readAll(writeFile(content), ratingsTable);
    const gzipped = await readAll(writeFile(gzipSync(content), 'rating.csv.gz'), ratingsTable);
    expect(plain).toEqual(rows);
    expect(gzipped).toEqual(plain);
  });
});

describe('readTable: field values', () => {
  it.each([
    ['"Name, with ""quotes"""', 'Name, with "quotes"'],
    ['"Comma, inside"', 'Comma, inside'],
    ['"""Quoted"" at the start"', '"Quoted" at the start'],
    ['Gintama&#039;', "Gintama'"],
    ['Fate&#x2F;Zero', 'Fate/Zero'],
    ['Tom &amp; Jerry', 'Tom & Jerry'],
    ['&quot;Bungaku Shoujo&quot; Movie', '"Bungaku Shoujo" Movie'],
    ['"Kara no Kyoukai 1: Fukan Fuukei, &quot;Overlooking View&quot;"', 'Kara no Kyoukai 1: Fukan Fuukei, "Overlooking View"'],
    ['Café 日本', 'Café 日本'],
  ])('name field %s is read as %j', async (field, name) => {
    const file = writeFile(lf([ANIME_HEADER, `5,${field},Drama,TV,1,7,10`]));
    expect(await readAll(file, animeTable)).toEqual([anime(2, { id: 5, name })]);
  });

  it.each([
    ['Unknown', '8.5', { episodes: null, communityRating: 8.5 }],
    ['12', '', { episodes: 12, communityRating: null }],
    ['Unknown', '', { episodes: null, communityRating: null }],
    ['0', '10', { episodes: 0, communityRating: 10 }],
  ])('episodes %j and rating %j give %j', async (episodes, communityRating, expected) => {
    const file = writeFile(lf([ANIME_HEADER, `5,Name,Drama,TV,${episodes},${communityRating},10`]));
    expect(await readAll(file, animeTable)).toEqual([anime(2, { id: 5, name: 'Name', ...expected })]);
  });
});

describe('readTable: quoted fields spanning lines', () => {
  const lines = [
    ANIME_HEADER,
    '1,First,Drama,TV,1,7,10',
    '2,"Two',
    'Lines, one record",Drama,TV,1,7,10',
    '3,Third,Drama,TV,1,7,10',
  ];
  const expected = [
    anime(2, { id: 1, name: 'First' }),
    anime(3, { id: 2, name: 'Two\nLines, one record' }),
    anime(5, { id: 3, name: 'Third' }),
  ];

  it.each([
    ['LF', lf(lines)],
    ['CRLF', crlf(lines)],
    ['gzipped', gzipSync(lf(lines))],
  ])('%s: the record is reported at its first line and the next line number is right', async (_name, content) => {
    expect(await readAll(writeFile(content), animeTable)).toEqual(expected);
  });

  it('keeps a field spanning three lines, with the following record on the right line', async () => {
    const file = writeFile(lf([ANIME_HEADER, '7,"One', 'two', 'three",Drama,TV,1,7,10', '8,After,Drama,TV,1,7,10']));
    expect(await readAll(file, animeTable)).toEqual([
      anime(2, { id: 7, name: 'One\ntwo\nthree' }),
      anime(5, { id: 8, name: 'After' }),
    ]);
  });

  it('keeps an empty line inside a quoted field', async () => {
    const file = writeFile(lf([ANIME_HEADER, '7,"Before', '', 'after",Drama,TV,1,7,10', '8,Next,Drama,TV,1,7,10']));
    expect(await readAll(file, animeTable)).toEqual([
      anime(2, { id: 7, name: 'Before\n\nafter' }),
      anime(5, { id: 8, name: 'Next' }),
    ]);
  });
});

describe('readTable: file-level errors', () => {
  it.each([
    ['0 bytes', ''],
    ['whitespace only', '  \n\r\n\t \n'],
    ['gzipped, 0 bytes inside', gzipSync('')],
  ])('an empty file (%s) is an InputError "<file>: file is empty"', async (_name, content) => {
    const file = writeFile(content);
    await expectInputError(file, animeTable, `${file}: file is empty`, jest.fn());
  });

  it.each([
    ['anime, LF', animeTable, `${ANIME_HEADER}\n`],
    ['anime, no final newline', animeTable, ANIME_HEADER],
    ['anime, CRLF and a BOM', animeTable, Buffer.concat([BOM, Buffer.from(`${ANIME_HEADER}\r\n`)])],
    ['ratings, trailing blank lines', ratingsTable, `${RATING_HEADER}\n\n\n`],
    ['ratings, gzipped', ratingsTable, gzipSync(`${RATING_HEADER}\n`)],
  ])('a header-only file (%s) has no rows and no error', async (_name, chooseFormat, content) => {
    const invalid = jest.fn();
    expect(await readAll(writeFile(content), chooseFormat as (line: string) => TableFormat<unknown>, { onInvalidRow: invalid })).toEqual([]);
    expect(invalid).not.toHaveBeenCalled();
  });

  it.each([
    ['anime', animeTable, 'id,title,genre', ANIME_HEADER, 'id,title,genre'],
    ['anime, columns reordered', animeTable, 'name,anime_id,genre,type,episodes,rating,members', ANIME_HEADER, 'name,anime_id,genre,type,episodes,rating,members'],
    ['ratings given the anime file', ratingsTable, ANIME_HEADER, RATING_HEADER, ANIME_HEADER],
    ['ratings without a header', ratingsTable, '1,20,7', RATING_HEADER, '1,20,7'],
  ])('a wrong header (%s) is "<file>:1: wrong header"', async (_name, chooseFormat, header, expected, found) => {
    const file = writeFile(lf([header, '1,20,7']));
    await expectInputError(
      file,
      chooseFormat as (line: string) => TableFormat<unknown>,
      `${file}:1: wrong header: expected "${expected}", found "${found}"`,
      jest.fn(),
    );
  });

  it.each([
    ['a lone 0xff in a name', Buffer.from([0xff])],
    ['a truncated 3-byte sequence', Buffer.from([0xe6, 0x97])],
    ['a stray continuation byte', Buffer.from([0x80])],
    ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf])],
    ['Latin-1 "é"', Buffer.from('é', 'latin1')],
  ])('invalid UTF-8 (%s) on line 4 is "<file>:4: invalid UTF-8"', async (_name, bad) => {
    const file = writeFile(
      Buffer.concat([
        Buffer.from(lf([ANIME_HEADER, '1,Fine,Drama,TV,1,7,10', '2,Also fine 日本,Drama,TV,1,7,10'])),
        Buffer.from('3,Bad '),
        bad,
        Buffer.from(' name,Drama,TV,1,7,10\n'),
        Buffer.from(lf(['4,After,Drama,TV,1,7,10'])),
      ]),
    );
    // A file-level fault: thrown even when bad rows are being skipped.
    const error = await readError(file, animeTable, jest.fn());
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(new RegExp(`^${escapeRegExp(file)}:4: invalid UTF-8`));
    expect((error as InputError).line).toBe(4);
  });

  it('reports invalid UTF-8 on the last line when it has no final newline', async () => {
    const file = writeFile(Buffer.concat([Buffer.from(lf([ANIME_HEADER, '1,Fine,Drama,TV,1,7,10'])), Buffer.from('2,Bad \xff', 'latin1')]));
    const error = await readError(file, animeTable);
    expect((error as InputError).message).toMatch(new RegExp(`^${escapeRegExp(file)}:3: invalid UTF-8`));
  });

  /** Valid rating rows filling exactly `lineStart` bytes, then a row with 0xff, then more valid rows. */
  function ratingsWithBadByte(lineStart: number): { content: Buffer; badLine: number; badOffset: number } {
    let text = `${RATING_HEADER}\n`;
    let line = 1;
    const next = lcg(7);
    while (text.length < lineStart - 30) {
      text += `${1 + (next() % 9000)},${1 + (next() % 900)},${1 + (next() % 10)}\n`;
      line++;
    }
    // One last row, its user id padded with zeros ("0000001" is 1) to end exactly at lineStart.
    text += `${'0'.repeat(lineStart - text.length - 6)}1,1,1\n`;
    line++;
    expect(text.length).toBe(lineStart);
    const content = Buffer.concat([
      Buffer.from(text),
      Buffer.from('12345,'),
      Buffer.from([0xff]),
      Buffer.from(',7\n'),
      Buffer.from(ratingRows(500, line + 2).text),
    ]);
    return { content, badLine: line + 1, badOffset: content.indexOf(0xff) };
  }

  it.each([
    ['after a 70,000-byte prefix', 70_000],
    ['on a line straddling the first chunk boundary', CHUNK - 3],
    ['as the first byte of the second chunk', CHUNK - 6],
    ['on the first line of the second chunk', CHUNK],
    ['in the fourth chunk', 3 * CHUNK + 1234],
  ])('reports the exact line of invalid UTF-8 %s', async (_name, lineStart) => {
    const { content, badLine, badOffset } = ratingsWithBadByte(lineStart);
    // The bad byte is read in a later chunk than the first.
    expect(badOffset).toBe(lineStart + 6);
    expect(badOffset).toBeGreaterThanOrEqual(CHUNK);
    const file = writeFile(content);
    const error = await readError(file, ratingsTable, jest.fn());
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(new RegExp(`^${escapeRegExp(file)}:${badLine}: invalid UTF-8`));
  });

  it.each([
    ['on the last line, with a final newline', [ANIME_HEADER, '1,Fine,Drama,TV,1,7,10', '2,"Never closed,Drama,TV,1,7,10'], '\n', 3],
    ['on the last line, without a final newline', [ANIME_HEADER, '1,Fine,Drama,TV,1,7,10', '2,"Never closed,Drama,TV,1,7,10'], '', 3],
    ['on the last line, CRLF', [ANIME_HEADER, '1,Fine,Drama,TV,1,7,10', '2,"Never closed,Drama,TV,1,7,10'], '\r\n', 3],
    ['followed by lines without quotes', [ANIME_HEADER, '1,"Opened,Drama,TV,1,7,10', '2,Fine,Drama,TV,1,7,10', '3,Fine,Drama,TV,1,7,10'], '\n', 2],
  ])('a quote opened %s and never closed is a truncated quote', async (_name, lines, ending, line) => {
    const content = lines.join(ending === '' ? '\n' : ending) + ending;
    const file = writeFile(content);
    // A file-level fault: thrown even when bad rows are being skipped.
    await expectInputError(file, animeTable, `${file}:${line}: quoted field is not closed (truncated quote)`, jest.fn());
  });
});

describe('readTable: multi-byte characters across the chunk boundary', () => {
  /** An anime file where `text` starts at byte `offset`, inside a name. */
  function animeWithTextAt(text: string, offset: number): { content: Buffer; name: string } {
    let prefix = `${ANIME_HEADER}\n`;
    for (let id = 1; prefix.length < offset - 200; id++) prefix += `${id},Filler ${id},Drama,TV,1,7,10\n`;
    const rowStart = `99999,`;
    const padding = 'x'.repeat(offset - prefix.length - rowStart.length);
    const name = `${padding}${text} end`;
    const content = Buffer.from(`${prefix}${rowStart}${name},Drama,TV,1,7,10\n1000000,Last,Drama,TV,1,7,10\n`);
    expect(content.subarray(offset, offset + Buffer.byteLength(text)).toString('utf8')).toBe(text);
    return { content, name };
  }

  it.each([
    ['é (2 bytes) split 1+1', 'é', CHUNK - 1],
    ['日 (3 bytes) split 1+2', '日本', CHUNK - 1],
    ['日 (3 bytes) split 2+1', '日本', CHUNK - 2],
    ['本 (3 bytes) split 1+2 after 日', '日本', CHUNK - 4],
    ['🎌 (4 bytes) split 2+2', '🎌', CHUNK - 2],
  ])('%s is decoded correctly', async (_name, text, offset) => {
    const { content, name } = animeWithTextAt(text, offset);
    const file = writeFile(content);
    const bytesRead: number[] = [];
    const rows = await readAll(file, animeTable, { onBytesRead: (bytes) => bytesRead.push(bytes) });
    // The file really was read in 64 KiB chunks, so the character straddled two of them.
    expect(bytesRead[0]).toBe(CHUNK);
    const row = rows.find((r) => r.record.id === 99999);
    expect(row?.record.name).toBe(name);
    expect(rows.at(-1)).toEqual(anime(rows.length + 1, { id: 1000000, name: 'Last' }));
  });
});

describe('readTable: invalid rows', () => {
  it.each([
    ['1,20', 2],
    ['1', 1],
    ['1,20,7,8', 4],
    ['1,20,7,', 4],
    ['"1,20",7', 2],
  ])('row %j is "expected 3 columns, found %i"', async (row, found) => {
    const file = writeFile(lf([RATING_HEADER, '1,20,7', row, '2,30,8']));
    const errors: InputError[] = [];
    const rows = await readAll(file, ratingsTable, { onInvalidRow: (error) => errors.push(error) });
    expect(errors.map((error) => error.message)).toEqual([`${file}:3: expected 3 columns, found ${found}`]);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect(rows).toEqual([rating(2, 1, 20, 7), rating(4, 2, 30, 8)]);
  });

  it.each([
    ['rating', '1,20,abc', 'abc'],
    ['rating', '1,20,11', '11'],
    ['rating', '1,20,0', '0'],
    ['rating', '1,20,-2', '-2'],
    ['rating', '1,20,7.5', '7.5'],
    ['user_id', 'x,20,7', 'x'],
    ['user_id', '0,20,7', '0'],
    ['anime_id', '1,-5,7', '-5'],
    ['anime_id', '1,2147483648,7', '2147483648'],
  ])('a bad %s (%j) goes to onInvalidRow with its line, field and value', async (field, row, value) => {
    const file = writeFile(lf([RATING_HEADER, '1,20,7', '', row, '2,30,-1']));
    const errors: InputError[] = [];
    const rows = await readAll(file, ratingsTable, { onInvalidRow: (error) => errors.push(error) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect(errors[0]!.line).toBe(4);
    expect(errors[0]!.message).toMatch(new RegExp(`^${escapeRegExp(file)}:4: ${field} .*${escapeRegExp(value)}`));
    expect(rows).toEqual([rating(2, 1, 20, 7), rating(5, 2, 30, -1)]);
  });

  it('stops at the first bad row when onInvalidRow throws', async () => {
    const file = writeFile(lf([RATING_HEADER, '1,20,7', '1,20,11', '1,20', '2,30,8']));
    const onInvalidRow = jest.fn(throwInvalid);
    const error = await readError(file, ratingsTable, onInvalidRow);
    expect(onInvalidRow).toHaveBeenCalledTimes(1);
    expect(error).toBe(onInvalidRow.mock.calls[0]![0]);
    expect((error as InputError).message).toMatch(new RegExp(`^${escapeRegExp(file)}:3: rating `));
  });

  it('skips every bad row and yields the rest when onInvalidRow returns', async () => {
    const { text: before, rows: rowsBefore } = ratingRows(10_000, 2, 3);
    const after = ratingRows(10_000, 10_006, 4);
    const file = writeFile(
      [
        `${RATING_HEADER}\n`,
        before,
        '5,6\n', // line 10002
        '5,6,abc\n', // 10003
        '\n', // 10004: blank, not an error
        '5,6,99\n', // 10005
        after.text,
        '0,1,1\n', // 20006
        '9,9,9\n', // 20007
      ].join(''),
    );
    const errors: InputError[] = [];
    const rows = await readAll(file, ratingsTable, { onInvalidRow: (error) => errors.push(error) });
    expect(errors.map((error) => error.line)).toEqual([10_002, 10_003, 10_005, 20_006]);
    expect(errors[0]!.message).toBe(`${file}:10002: expected 3 columns, found 2`);
    expect(rows).toEqual([...rowsBefore, ...after.rows, rating(20_007, 9, 9, 9)]);
  });

  it('checks anime rows too: a missing name is reported and skipped', async () => {
    const file = writeFile(lf([ANIME_HEADER, '1,,Drama,TV,1,7,10', '2,Named,Drama,TV,1,7,10', '3,Short,Drama']));
    const errors: InputError[] = [];
    const rows = await readAll(file, animeTable, { onInvalidRow: (error) => errors.push(error) });
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(new RegExp(`^${escapeRegExp(file)}:2: name `)),
      `${file}:4: expected 7 columns, found 3`,
    ]);
    expect(rows).toEqual([anime(3, { id: 2, name: 'Named' })]);
  });
});

describe('readTable: onBytesRead', () => {
  it.each([
    ['a small plain file', false, 20],
    ['a multi-chunk plain file', false, 40_000],
    ['a small gzipped file', true, 20],
    ['a multi-chunk gzipped file', true, 40_000],
  ])('reports bytes on disk, ending at the file size, for %s', async (_name, gzip, count) => {
    const { text, rows } = ratingRows(count, 2, 11);
    const plain = `${RATING_HEADER}\n${text}`;
    const file = writeFile(gzip ? gzipSync(plain) : plain);
    const size = statSync(file).size;
    const bytesRead: number[] = [];
    expect(await readAll(file, ratingsTable, { onBytesRead: (bytes) => bytesRead.push(bytes) })).toEqual(rows);
    expect(bytesRead.length).toBeGreaterThanOrEqual(Math.ceil(size / CHUNK));
    expect(bytesRead.at(-1)).toBe(size);
    for (let i = 1; i < bytesRead.length; i++) expect(bytesRead[i]!).toBeGreaterThan(bytesRead[i - 1]!);
    if (gzip) expect(size).toBeLessThan(Buffer.byteLength(plain));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
