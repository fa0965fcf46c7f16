/**
 * out[row] = ⟨vector, rows[row]⟩ for every row of the row-major `rows`: the exact scans of
 * stage one (the largest part of a served request) and of similar titles. Four running sums let
 * V8 overlap the multiply-adds (1.5–1.7× a single sum, measured on 7,157 × 128); tfjs-wasm's
 * matMul was slower still for one vector (~11 ms), which is why this is written by hand.
 */
export function scanDotProducts(vector: Float32Array, rows: Float32Array, dim: number, out: Float32Array): void {
  const unrolled = dim - (dim % 4);
  for (let row = 0, offset = 0; row < out.length; row++, offset += dim) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let a = 0; a < unrolled; a += 4) {
      s0 += vector[a]! * rows[offset + a]!;
      s1 += vector[a + 1]! * rows[offset + a + 1]!;
      s2 += vector[a + 2]! * rows[offset + a + 2]!;
      s3 += vector[a + 3]! * rows[offset + a + 3]!;
    }
    for (let a = unrolled; a < dim; a++) s0 += vector[a]! * rows[offset + a]!;
    out[row] = s0 + s1 + (s2 + s3);
  }
}
