/** Small dense linear algebra for least-squares fits of a handful of unknowns (polynomial edges, formula constants). */

/**
 * Solves A x = b for a square n x n system (row-major A), by Gaussian elimination with partial pivoting; A and b are
 * not modified. Returns null when A is singular to working precision.
 */
export function solveDense(A: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array | null {
  return solveDenseColumns(A, b, n, 1);
}

/**
 * The inverse of a square n x n matrix (row-major), by the same elimination with the identity's n columns on the right;
 * A is not modified. Returns null when A is singular to working precision.
 */
export function inverseDense(A: ArrayLike<number>, n: number): Float64Array | null {
  const identity = new Float64Array(n * n);
  for (let i = 0; i < n; i++) identity[i * n + i] = 1;
  return solveDenseColumns(A, identity, n, n);
}

/** A X = B for m right-hand sides at once (B and X row-major n x m), by Gaussian elimination with partial pivoting. */
function solveDenseColumns(A: ArrayLike<number>, B: ArrayLike<number>, n: number, m: number): Float64Array | null {
  const a = Float64Array.from(A as ArrayLike<number>);
  const x = Float64Array.from(B as ArrayLike<number>);
  let scale = 0;
  for (let q = 0; q < n * n; q++) scale = Math.max(scale, Math.abs(a[q]!));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (!(Math.abs(a[pivot * n + col]!) > 1e-14 * scale)) return null;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c]!, a[col * n + c]!];
      for (let c = 0; c < m; c++) [x[col * m + c], x[pivot * m + c]] = [x[pivot * m + c]!, x[col * m + c]!];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! / a[col * n + col]!;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c]! -= f * a[col * n + c]!;
      for (let c = 0; c < m; c++) x[r * m + c]! -= f * x[col * m + c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    for (let c = 0; c < m; c++) {
      let s = x[r * m + c]!;
      for (let k = r + 1; k < n; k++) s -= a[r * n + k]! * x[k * m + c]!;
      x[r * m + c] = s / a[r * n + r]!;
    }
  }
  return x;
}

/**
 * The normal equations of least squares over columns X[c] (each of length n): X^T W X (p x p, row-major) and X^T W y,
 * W the diagonal of row weights (the identity when none are given).
 */
export function normalEquations(columns: readonly Float64Array[], y: Float64Array, weights: Float64Array | null = null): { gram: Float64Array; rhs: Float64Array } {
  const p = columns.length;
  const n = y.length;
  const gram = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    const ca = weights ? columns[a]!.map((v, i) => v * weights[i]!) : columns[a]!;
    for (let b = a; b < p; b++) {
      const cb = columns[b]!;
      let s = 0;
      for (let i = 0; i < n; i++) s += ca[i]! * cb[i]!;
      gram[a * p + b] = s;
      gram[b * p + a] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += ca[i]! * y[i]!;
    rhs[a] = s;
  }
  return { gram, rhs };
}

/**
 * Least squares min |X w - y|^2 + ridge |w|^2 over columns X[c] (each of length n), by the normal equations; a ridge of
 * 0 is exact least squares. Returns null when the columns are linearly dependent and ridge is 0.
 */
export function leastSquares(columns: readonly Float64Array[], y: Float64Array, ridge = 0): Float64Array | null {
  const p = columns.length;
  const { gram, rhs } = normalEquations(columns, y);
  for (let a = 0; a < p; a++) gram[a * p + a]! += ridge;
  return solveDense(gram, rhs, p);
}

/**
 * Least squares min |X w - y|^2 over columns X[c] by Householder QR: the normal equations square the condition number,
 * which monomials of inputs far from zero (x, x^2, x^3 of x in [1000, 5000]) cannot afford. Returns null when a column
 * lies within the rounding of the span of the ones before it.
 */
export function leastSquaresQR(columns: readonly Float64Array[], y: Float64Array): Float64Array | null {
  const p = columns.length;
  const n = y.length;
  if (p > n) return null;
  const a = columns.map((c) => Float64Array.from(c));
  const b = Float64Array.from(y);
  const diagonal = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const col = a[k]!;
    let norm = 0;
    for (let i = k; i < n; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm);
    let full = 0;
    for (let i = 0; i < n; i++) full += col[i]! * col[i]!;
    if (!(norm > 1e-13 * Math.sqrt(full))) return null;
    const alpha = col[k]! > 0 ? -norm : norm;
    // v = x - alpha e_k, kept in col[k..n); H = I - 2 v v^T / (v^T v).
    col[k]! -= alpha;
    let vv = 0;
    for (let i = k; i < n; i++) vv += col[i]! * col[i]!;
    const reflect = (target: Float64Array): void => {
      let dot = 0;
      for (let i = k; i < n; i++) dot += col[i]! * target[i]!;
      const f = (2 * dot) / vv;
      for (let i = k; i < n; i++) target[i]! -= f * col[i]!;
    };
    for (let j = k + 1; j < p; j++) reflect(a[j]!);
    reflect(b);
    diagonal[k] = alpha;
  }
  const w = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < p; j++) s -= a[j]![k]! * w[j]!;
    w[k] = s / diagonal[k]!;
  }
  return w;
}
