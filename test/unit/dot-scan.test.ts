import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvariantError } from '../../src/errors';
import { assemble, KERNELS_DIR } from '../../src/models/kernels/build';
import { DOT_SCAN_WASM, DotScanner } from '../../src/ranking/dot-scan';
import { mulberry32 } from '../../src/trainer/random';

function randomMatrix(rows: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: rows * dim }, () => random() * 2 - 1);
}

/** ⟨a row, b row⟩ in float64. */
function reference(a: Float32Array, aRow: number, b: Float32Array, bRow: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) sum += a[aRow * dim + j]! * b[bRow * dim + j]!;
  return sum;
}

describe('DotScanner', () => {
  // 1, 3, 5, 17: rows padded to four floats; 16, 20, 128: the 16-float steps, with and without a tail.
  it.each([1, 3, 4, 5, 16, 17, 20, 128])('scans a vector against every row of dim %i, as a float64 sum within float32 rounding', (dim) => {
    const rows = 37;
    const matrix = randomMatrix(rows, dim, dim);
    const vector = randomMatrix(1, dim, 1000 + dim);
    const out = new DotScanner(matrix, dim).scan(vector);
    expect(out).toHaveLength(rows);
    for (let row = 0; row < rows; row++) expect(out[row]!).toBeCloseTo(reference(vector, 0, matrix, row, dim), 4);
  });

  it("scans one of its own rows against every row, and against chosen rows (repeats included)", () => {
    const dim = 24;
    const matrix = randomMatrix(50, dim, 7);
    const scanner = new DotScanner(matrix, dim);
    expect(Array.from(scanner.scanRow(9))).toEqual(Array.from(scanner.scan(matrix.subarray(9 * dim, 10 * dim))));
    const others = [3, 0, 49, 3, 9];
    const dots = scanner.rowDots(9, others);
    others.forEach((other, n) => expect(dots[n]!).toBeCloseTo(reference(matrix, 9, matrix, other, dim), 4));
    expect(scanner.rowDots(9, [])).toHaveLength(0);
  });

  it('takes more chosen rows than the matrix has, in parts', () => {
    const dim = 8;
    const matrix = randomMatrix(5, dim, 11);
    const others = Array.from({ length: 23 }, (_, n) => (n * 3) % 5);
    const dots = new DotScanner(matrix, dim).rowDots(2, others);
    others.forEach((other, n) => expect(dots[n]!).toBeCloseTo(reference(matrix, 2, matrix, other, dim), 4));
  });

  it('keeps its own copy: later changes to the matrix are not seen', () => {
    const matrix = Float32Array.from([1, 0, 0, 1]);
    const scanner = new DotScanner(matrix, 2);
    matrix.fill(5);
    expect(Array.from(scanner.scan(Float32Array.from([2, 3])))).toEqual([2, 3]);
  });

  it('refuses rows outside the matrix, vectors of the wrong length and a matrix that is not whole rows', () => {
    const scanner = new DotScanner(randomMatrix(4, 3, 1), 3);
    expect(() => scanner.scanRow(4)).toThrow(InvariantError);
    expect(() => scanner.rowDots(0, [1, -1])).toThrow(/row -1 is outside 0\.\.3/);
    expect(() => scanner.rowDots(0, [1.5])).toThrow(InvariantError);
    expect(() => scanner.scan(new Float32Array(4))).toThrow(/a vector of 4 values against rows of 3/);
    expect(() => new DotScanner(new Float32Array(7), 3)).toThrow(/7 values are not rows of 3/);
  });

  it('the committed dot-scan.wasm is what dot-scan.wat assembles to (else: npm run build:kernels)', async () => {
    expect(Buffer.from(await assemble(join(KERNELS_DIR, 'dot-scan.wat'))).equals(readFileSync(DOT_SCAN_WASM))).toBe(true);
  });
});
