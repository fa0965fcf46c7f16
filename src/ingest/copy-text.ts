/** Values in PostgreSQL's COPY text format (tab-separated, `\N` for null). */

const SPECIAL = /[\\\t\n\r]/;

export function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (!SPECIAL.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function copyRow(values: readonly (string | number | null)[]): string {
  return values.map(copyValue).join('\t') + '\n';
}

/** A text[] literal (`{"a","b"}`), to be passed through copyValue like any text. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
