/**
 * Splits one record of RFC 4180 CSV text into its fields, for lines that hold a quote.
 * Hand-written because csv-parse's sync API sets up a parser per call (~40 µs: 4 s of the
 * 12,294-line anime file, where almost every line quotes its genres); the unit tests check it
 * against csv-parse on generated records. Error texts name what csv-parse calls
 * INVALID_OPENING_QUOTE and CSV_INVALID_CLOSING_QUOTE.
 */

export const QUOTE_NOT_CLOSED = 'quoted field is not closed (truncated quote)';
export const QUOTE_IN_UNQUOTED_FIELD = 'a quote appears inside an unquoted field';
export const TEXT_AFTER_CLOSING_QUOTE = 'unexpected character after a closing quote';

export type CsvRecord = { fields: string[]; error?: undefined } | { error: string };

/**
 * The fields of `text` (one record; it may contain newlines inside quotes), what is wrong with
 * it, or null when a quoted field is still open at its end (the record continues on the next line).
 */
export function splitCsvRecord(text: string, delimiter: string): CsvRecord | null {
  const fields: string[] = [];
  for (let at = 0; ; ) {
    if (text.charCodeAt(at) === 0x22 /* " */) {
      let value = '';
      let from = at + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return null;
        value += text.slice(from, quote);
        if (text.charCodeAt(quote + 1) !== 0x22) {
          at = quote + 1;
          break;
        }
        value += '"';
        from = quote + 2;
      }
      fields.push(value);
      if (at === text.length) return { fields };
      if (!text.startsWith(delimiter, at)) return { error: TEXT_AFTER_CLOSING_QUOTE };
      at += delimiter.length;
    } else {
      const next = text.indexOf(delimiter, at);
      const end = next === -1 ? text.length : next;
      const value = text.slice(at, end);
      if (value.includes('"')) return { error: QUOTE_IN_UNQUOTED_FIELD };
      fields.push(value);
      if (next === -1) return { fields };
      at = end + delimiter.length;
    }
  }
}
