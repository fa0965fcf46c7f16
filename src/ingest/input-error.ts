/** Errors about input files, always naming the file and line: `file:line: what is wrong`. */
import { AppError } from '../errors';

/** Thrown by a row parser: what is wrong with the row, without the location (read-table wraps it in an InputError). */
export class RowError extends Error {
  override readonly name = 'RowError';
}

/** A problem with an input file the user gave, at `file:line`. */
export class InputError extends AppError {
  override readonly name = 'InputError';
  readonly code = 'BAD_INPUT_FILE';
  constructor(
    readonly file: string,
    /** 1-based physical line; 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}
