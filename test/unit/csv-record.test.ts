import fc from 'fast-check';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { QUOTE_IN_UNQUOTED_FIELD, splitCsvRecord, TEXT_AFTER_CLOSING_QUOTE } from '../../src/ingest/csv-record';

/** What csv-parse (the reference RFC 4180 reader) makes of one record, in splitCsvRecord's terms. */
function reference(text: string, delimiter: string): ReturnType<typeof splitCsvRecord> {
  try {
    const records = parseCsv(text, { delimiter, relax_column_count: true, record_delimiter: '\n' }) as string[][];
    return { fields: records[0] ?? [''] };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') return null;
    if (error.code === 'INVALID_OPENING_QUOTE') return { error: QUOTE_IN_UNQUOTED_FIELD };
    if (error.code === 'CSV_INVALID_CLOSING_QUOTE') return { error: TEXT_AFTER_CLOSING_QUOTE };
    throw error;
  }
}

/**
 * One record. Newlines appear only inside well-formed quoted fields, as in the lines the reader
 * joins while a quote is open; stray quotes only in records without newlines.
 */
const record = (delimiter: string) =>
  fc.oneof(
    fc.array(fc.stringMatching(/^[a ,"|é]{0,6}$/), { minLength: 1, maxLength: 5 }).map((fields) => fields.join(delimiter)),
    fc
      .array(
        fc.oneof(
          fc.stringMatching(/^[a é]{0,6}$/),
          fc.stringMatching(/^[a,\n"|]{0,6}$/).map((inner) => `"${inner.replace(/"/g, '""')}"`),
        ),
        { minLength: 1, maxLength: 5 },
      )
      .map((fields) => fields.join(delimiter)),
  );

describe('splitCsvRecord', () => {
  it.each([
    ['1,"Name, with ""quotes""",TV', ['1', 'Name, with "quotes"', 'TV']],
    ['"a\nb",c', ['a\nb', 'c']],
    ['a,,"",b,', ['a', '', '', 'b', '']],
  ])('splits %j', (text, fields) => {
    expect(splitCsvRecord(text, ',')).toEqual({ fields });
  });

  it.each([
    ['1,2"4,7', QUOTE_IN_UNQUOTED_FIELD],
    ['"ab"c,d', TEXT_AFTER_CLOSING_QUOTE],
  ])('rejects %j', (text, error) => {
    expect(splitCsvRecord(text, ',')).toEqual({ error });
  });

  it('says a record with an open quote continues', () => {
    expect(splitCsvRecord('1,"open', ',')).toBeNull();
  });

  it.each([',', '|'])('agrees with csv-parse on generated records (delimiter %j)', (delimiter) => {
    fc.assert(
      fc.property(record(delimiter), (text) => {
        expect(splitCsvRecord(text, delimiter)).toEqual(reference(text, delimiter));
      }),
      { numRuns: 2000 },
    );
  });
});
