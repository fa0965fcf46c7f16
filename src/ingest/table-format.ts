/** How a dataset format describes one of its files, so one reader serves every format. */
import type { AnimeRecord, RatingRecord } from './records';

export interface TableFormat<T> {
  /** Field separator: ',' for CSV, '\t' and '|' for MovieLens 100k. */
  delimiter: string;
  /** MovieLens 100k's u.item is Latin-1; everything else must be valid UTF-8. */
  encoding: 'utf8' | 'latin1';
  /** Exact expected header fields, or null when the file has no header line. */
  header: readonly string[] | null;
  /** Number of fields every row must have. */
  columns: number;
  /** RFC 4180 quoting; off for files that use '"' as a plain character (MovieLens 100k). */
  quoted: boolean;
  /** Turns a row's fields into a record; throws RowError naming the field and value. */
  parse(fields: readonly string[]): T;
  /**
   * Optional fast path for a line whose fields are all plain integers (`-?[0-9]+`, at most 15
   * digits), given as numbers: the record, or undefined to send the line through `parse`
   * (which then reports what is wrong). Must agree with `parse` on every line it accepts.
   */
  parseIntegers?(values: readonly number[]): T | undefined;
}

export interface DatasetFormat {
  name: string;
  /**
   * Picks the table format for the item file from its first line (formats may have variants,
   * like MovieLens 100k's u.item and MovieLens latest's movies.csv); throws RowError when the
   * line fits none.
   */
  animeTable(firstLine: string): TableFormat<AnimeRecord>;
  ratingsTable(firstLine: string): TableFormat<RatingRecord>;
}
