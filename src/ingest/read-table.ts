/**
 * Streams the rows of one dataset file in constant memory: gzip is detected by its magic
 * bytes, text is decoded strictly (invalid UTF-8 is an error with its line, never silently
 * replaced), lines of plain integers are parsed straight from the bytes, quoted CSV is split
 * by RFC 4180, and every row carries its 1-based physical line.
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { QUOTE_NOT_CLOSED, splitCsvRecord } from './csv-record';
import { InputError, RowError } from './input-error';
import type { TableFormat } from './table-format';

const NEWLINE = 0x0a;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

export interface TableRow<T> {
  line: number;
  record: T;
}

export interface ReadTableOptions {
  /**
   * Called with each bad row (wrong column count, unparsable field, stray quote). Throw to stop
   * the load; return to skip the row. Errors about the file as a whole (empty, header, encoding,
   * unclosed quote) are always thrown.
   */
  onInvalidRow(error: InputError): void;
  /** Called as the file is read, with bytes consumed of the file on disk (compressed, for .gz). */
  onBytesRead?(bytesRead: number): void;
}

/** Size on disk, the denominator for progress. */
export function fileSize(path: string): number {
  return statSync(path).size;
}

/** Raw bytes of the file, gunzipped when it starts with gzip's magic bytes. */
async function* rawChunks(path: string, onBytesRead?: (bytes: number) => void): AsyncGenerator<Buffer> {
  async function* counted(): AsyncGenerator<Buffer> {
    let bytesRead = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>) {
      bytesRead += chunk.length;
      onBytesRead?.(bytesRead);
      yield chunk;
    }
  }
  const file = counted();
  const first = await file.next();
  if (first.done) return;
  const gzipped = first.value[0] === GZIP_MAGIC[0] && first.value[1] === GZIP_MAGIC[1];
  async function* whole(): AsyncGenerator<Buffer> {
    yield first.value as Buffer;
    yield* file;
  }
  yield* gzipped ? (Readable.from(whole()).pipe(createGunzip()) as AsyncIterable<Buffer>) : whole();
}

/** Reads until the first newline; returns the buffered chunks and the first line's text. */
async function peekFirstLine(chunks: AsyncIterator<Buffer>): Promise<{ buffered: Buffer[]; firstLine: string | null }> {
  const buffered: Buffer[] = [];
  for (;;) {
    const next = await chunks.next();
    if (next.done) break;
    buffered.push(next.value);
    if (next.value.includes(NEWLINE)) break;
  }
  const head = Buffer.concat(buffered);
  const end = head.indexOf(NEWLINE);
  // Latin-1 maps every byte, so sniffing never fails on encoding; headers and delimiters are ASCII.
  const text = head.subarray(0, end === -1 ? head.length : end).toString('latin1');
  const firstLine = text.replace(/^\u00ef\u00bb\u00bf/, '').replace(/\r$/, '');
  return { buffered, firstLine: head.toString('latin1').trim() === '' ? null : firstLine };
}

/**
 * Splits lines into fields. Lines without a quote are split on the delimiter; a line with a
 * quote is split as RFC 4180 CSV (csv-record.ts), together with following lines while a
 * quoted field stays open (a field may span lines).
 */
const MAX_RECORD_CHARS = 1 << 16;

type SplitRecord = { line: number; fields: string[]; error?: undefined } | { line: number; error: string };

class FieldSplitter {
  private pending: { line: number; text: string } | null = null;

  constructor(
    private readonly file: string,
    private readonly format: Pick<TableFormat<unknown>, 'delimiter' | 'quoted'>,
  ) {}

  /** True while a quoted field is open across lines (blank lines then belong to it). */
  get inQuotedField(): boolean {
    return this.pending !== null;
  }

  /**
   * Returns the fields of the record ending at this line (or what is wrong with it), or null
   * while a quote is open.
   */
  push(text: string, line: number): SplitRecord | null {
    if (this.pending) {
      this.pending.text += '\n' + text;
      // An unclosed quote would otherwise swallow (and re-parse) the rest of the file.
      if (this.pending.text.length > MAX_RECORD_CHARS) this.finish();
      return this.parseQuoted();
    }
    if (!this.format.quoted || !text.includes('"')) return { line, fields: text.split(this.format.delimiter) };
    this.pending = { line, text };
    return this.parseQuoted();
  }

  /** Throws when the file ended inside a quoted field. */
  finish(): void {
    if (this.pending) throw new InputError(this.file, this.pending.line, QUOTE_NOT_CLOSED);
  }

  private parseQuoted(): SplitRecord | null {
    const { line, text } = this.pending!;
    const record = splitCsvRecord(text, this.format.delimiter);
    if (record === null) return null;
    this.pending = null;
    // A stray quote spoils this record only: the next line starts afresh.
    return record.error !== undefined ? { line, error: record.error } : { line, fields: record.fields };
  }
}


const CARRIAGE_RETURN = 0x0d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Longer digit runs go the slow way: Number() of them may round, and the range checks reject them anyway. */
const MAX_FAST_DIGITS = 15;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Turns the lines of a file, as bytes, into rows. Lines are cut at their newline bytes and decoded
 * one at a time (a multi-byte UTF-8 character never contains a newline byte, so checking each
 * line is checking the file, and a bad byte is reported with its line). A line of plain integers
 * (`1,20,7`: the bulk of a ratings file) is parsed straight from the bytes when the format has
 * `parseIntegers`; any other line takes the general path through text and the field splitter.
 */
class LineReader<T> {
  private readonly splitter: FieldSplitter;
  private readonly delimiterByte: number;
  private readonly integers: number[];
  private expectHeader: boolean;
  private lineNumber = 0;

  constructor(
    private readonly file: string,
    private readonly format: TableFormat<T>,
    private readonly onInvalidRow: (error: InputError) => void,
  ) {
    this.splitter = new FieldSplitter(file, format);
    this.expectHeader = format.header !== null;
    // Only a one-byte ASCII delimiter can be matched byte by byte.
    const code = format.delimiter.charCodeAt(0);
    this.delimiterByte = format.delimiter.length === 1 && code < 0x80 ? code : -1;
    this.integers = new Array<number>(format.columns).fill(0);
  }

  /** Reads the complete lines in `bytes` (which ends with a newline) into `rows`. */
  readLines(bytes: Buffer, rows: TableRow<T>[]): void {
    const fast = this.format.parseIntegers !== undefined && this.delimiterByte !== -1;
    for (let start = 0; start < bytes.length; ) {
      const newline = bytes.indexOf(NEWLINE, start);
      const next = newline === -1 ? bytes.length : newline + 1;
      let end = newline === -1 ? bytes.length : newline;
      if (end > start && bytes[end - 1] === CARRIAGE_RETURN) end--;
      const line = ++this.lineNumber;
      const record = fast && !this.expectHeader && !this.splitter.inQuotedField ? this.integerRecord(bytes, start, end) : undefined;
      if (record !== undefined) rows.push({ line, record });
      else this.readLine(bytes, start, end, line, rows);
      start = next;
    }
  }

  /** Throws when the file ended inside a quoted field. */
  finish(): void {
    this.splitter.finish();
  }

  /** The record of a line of `columns` plain integers (`-?[0-9]+`, one delimiter between), or undefined. */
  private integerRecord(bytes: Buffer, start: number, end: number): T | undefined {
    const values = this.integers;
    let at = start;
    for (let column = 0; ; ) {
      const negative = bytes[at] === MINUS;
      if (negative) at++;
      const digitsStart = at;
      let value = 0;
      for (let byte = bytes[at]!; at < end && byte >= DIGIT_0 && byte <= DIGIT_9; byte = bytes[++at]!) value = value * 10 + (byte - DIGIT_0);
      const digits = at - digitsStart;
      if (digits === 0 || digits > MAX_FAST_DIGITS) return undefined;
      values[column++] = negative ? -value : value;
      if (at === end) return column === values.length ? this.format.parseIntegers!(values) : undefined;
      if (bytes[at] !== this.delimiterByte || column === values.length) return undefined;
      at++;
    }
  }

  private decode(bytes: Buffer, start: number, end: number, line: number): string {
    if (this.format.encoding === 'latin1') return bytes.toString('latin1', start, end);
    if (line === 1 && bytes[start] === UTF8_BOM[0] && bytes[start + 1] === UTF8_BOM[1] && bytes[start + 2] === UTF8_BOM[2]) start += 3;
    const slice = bytes.subarray(start, end);
    if (!isUtf8(slice)) throw new InputError(this.file, line, 'invalid UTF-8 (the file must be UTF-8 encoded)');
    return slice.toString('utf8');
  }

  /** The general path: decode, split (quotes, several lines), check the header, parse. */
  private readLine(bytes: Buffer, start: number, end: number, line: number, rows: TableRow<T>[]): void {
    const text = this.decode(bytes, start, end, line);
    if (text.trim() === '' && !this.splitter.inQuotedField) return;
    const row = this.splitter.push(text, line);
    if (row === null) return;
    if (row.error !== undefined) {
      this.onInvalidRow(new InputError(this.file, row.line, row.error));
      return;
    }
    if (this.expectHeader) {
      this.expectHeader = false;
      const found = row.fields.map((field) => field.trim()).join(',');
      const expected = this.format.header!.join(',');
      if (found !== expected) throw new InputError(this.file, row.line, `wrong header: expected "${expected}", found "${found}"`);
      return;
    }
    if (row.fields.length !== this.format.columns) {
      this.onInvalidRow(new InputError(this.file, row.line, `expected ${this.format.columns} columns, found ${row.fields.length}`));
      return;
    }
    try {
      rows.push({ line: row.line, record: this.format.parse(row.fields) });
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      this.onInvalidRow(new InputError(this.file, row.line, error.message));
    }
  }
}

/**
 * Yields the valid rows of `file`, in batches (one per 64 KiB read), as records of the table format chosen from its
 * first line. Throws InputError (`file:line: what is wrong`) for file-level faults and,
 * through `onInvalidRow`, for bad rows. Lines are physical, 1-based; a record spanning lines
 * is reported at its first.
 */
export async function* readTable<T>(
  file: string,
  chooseFormat: (firstLine: string) => TableFormat<T>,
  options: ReadTableOptions,
): AsyncGenerator<TableRow<T>[]> {
  const raw = rawChunks(file, options.onBytesRead);
  const { buffered, firstLine } = await peekFirstLine(raw);
  if (firstLine === null) throw new InputError(file, 0, 'file is empty');
  let format: TableFormat<T>;
  try {
    format = chooseFormat(firstLine);
  } catch (error) {
    if (error instanceof RowError) throw new InputError(file, 1, error.message);
    throw error;
  }
  async function* allChunks(): AsyncGenerator<Buffer> {
    yield* buffered;
    yield* { [Symbol.asyncIterator]: () => raw };
  }

  const reader = new LineReader(file, format, options.onInvalidRow);
  // The unfinished last line of the previous chunk.
  let carry: Buffer | null = null;
  for await (const chunk of allChunks()) {
    const bytes: Buffer = carry !== null ? Buffer.concat([carry, chunk]) : chunk;
    const lastNewline = bytes.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      carry = bytes;
      continue;
    }
    carry = lastNewline + 1 < bytes.length ? Buffer.from(bytes.subarray(lastNewline + 1)) : null;
    const batch: TableRow<T>[] = [];
    reader.readLines(bytes.subarray(0, lastNewline + 1), batch);
    if (batch.length > 0) yield batch;
  }
  if (carry !== null) {
    const batch: TableRow<T>[] = [];
    reader.readLines(carry, batch);
    if (batch.length > 0) yield batch;
  }
  reader.finish();
}
