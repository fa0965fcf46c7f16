/** Errors about input files, always naming the file and line: `file:line: what is wrong`. */

/** Thrown by a row parser: what is wrong with the row, without the location. */
export class RowError extends Error {
  override readonly name = 'RowError';
}

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly file: string,
    /** 1-based physical line; 0 when the problem is the file as a whole. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}
