/**
 * Vectors and float4 values as PostgreSQL text. Vectors go through pgvector's own codec
 * (`toSql` / `fromSql`), in COPY data, query parameters and `embedding::text` results alike,
 * so both drivers read and write them the same way.
 */
import { InvariantError } from '../errors';
import { fromSql, toSql } from 'pgvector';

/**
 * A float32 as decimal text that PostgreSQL reads back as exactly the same float32: nine
 * significant digits always single out one float32 (FLT_DECIMAL_DIG), and both pgvector and
 * float4in parse with strtof, correctly rounded straight to float32 (no double rounding).
 * Negative zero keeps its sign.
 */
export function float32Text(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  return value.toPrecision(9);
}

/**
 * The nearest double to the nine-digit text of a float32: its shortest decimal text (what
 * pgvector's codec writes) has at most nine digits, instead of the seventeen the float32's
 * exact double needs, and still reads back as the same float32.
 */
function nineDigits(value: number): number {
  return Number(value.toPrecision(9));
}

/**
 * pgvector's text form, `[x0,x1,...]`, of `dim` floats of `vectors` from `offset`. Exact for
 * every finite float32 but the sign of zero (pgvector writes -0 as 0).
 */
export function vectorToSql(vectors: Float32Array, offset: number, dim: number): string {
  return toSql(Array.from(vectors.subarray(offset, offset + dim), nineDigits)) as string;
}

/** Reads pgvector's text form into `out` at `offset`; it must hold `dim` values. */
export function vectorFromSql(text: string, out: Float32Array, offset: number, dim: number): void {
  const values = fromSql(text) as number[];
  if (values.length !== dim) throw new InvariantError(`expected a vector of ${dim} values, got ${values.length}`);
  out.set(values, offset);
}
