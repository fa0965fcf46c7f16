/**
 * Solves A x = b for a small dense symmetric positive-definite A (row-major n × n) by Cholesky;
 * A is overwritten by its factor. A pivot that rounding pushed to zero or below is clamped, so
 * a nearly singular system still gives a finite answer. Shared by the fold-ins (dim × dim).
 */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let diagonal = a[j * n + j]!;
    for (let k = 0; k < j; k++) diagonal -= a[j * n + k]! ** 2;
    const root = Math.sqrt(Math.max(diagonal, 1e-12));
    a[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let value = a[i * n + j]!;
      for (let k = 0; k < j; k++) value -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = value / root;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let value = b[i]!;
    for (let k = 0; k < i; k++) value -= a[i * n + k]! * y[k]!;
    y[i] = value / a[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let value = y[i]!;
    for (let k = i + 1; k < n; k++) value -= a[k * n + i]! * x[k]!;
    x[i] = value / a[i * n + i]!;
  }
  return x;
}

