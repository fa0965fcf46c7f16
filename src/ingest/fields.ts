/** Field parsers shared by the dataset formats; each throws RowError naming the field and value. */
import { RowError } from './input-error';

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

function show(value: string): string {
  return value === '' ? 'empty' : JSON.stringify(value);
}

/** A number of `field` whose text matches `pattern` (described by `what`), inside `range`. */
function parseNumber(field: string, value: string, range: { min: number; max: number }, pattern: RegExp, what: string): number {
  const text = value.trim();
  if (!pattern.test(text)) throw new RowError(`${field} must be ${what}, found ${show(value)}`);
  const number = Number(text);
  if (number < range.min || number > range.max) {
    throw new RowError(`${field} must be between ${range.min} and ${range.max}, found ${text}`);
  }
  return number;
}

export function parseInteger(field: string, value: string, range: { min: number; max: number }): number {
  return parseNumber(field, value, range, INTEGER, 'an integer');
}

export function parseDecimal(field: string, value: string, range: { min: number; max: number }): number {
  return parseNumber(field, value, range, DECIMAL, 'a number');
}

export function parseRequiredText(field: string, value: string): string {
  const text = value.trim();
  if (text === '') throw new RowError(`${field} is empty`);
  return text;
}

/** Largest id PostgreSQL's integer columns hold. */
export const MAX_ID = 2_147_483_647;
export const ID_RANGE = { min: 1, max: MAX_ID } as const;
