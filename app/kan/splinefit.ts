/**
 * Least-squares fit of spline coefficients to samples, the workhorse of grid update, grid extension and initialisation.
 * The normal matrix A^T A of a B-spline design matrix is banded (bandwidth k), so it is assembled and Cholesky-factored in
 * band storage: O(m k^2) to assemble and O((G+k) k^2) to solve, whatever G is.
 */
import { BasisScratch, NO_SUPPORT, basisCount } from './bspline';

/**
 * Fits coef [nFits][G+k] so that sum_m coef[f][m] B_m(xs[s]) ~ ys[s * nFits + f] for every sample s, with a small ridge
 * (relative to the largest diagonal entry) so that bases no sample touches get coefficient ~0 instead of a singular system.
 * weights (optional, [m]) weight each sample's squared error.
 */
export function fitSplineCoefficients(
  knots: Float64Array, knotOffset: number, G: number, k: number,
  xs: Float64Array, ys: Float64Array, nFits: number,
  options: { ridge?: number; weights?: Float64Array } = {},
): Float64Array {
  const nb = basisCount(G, k);
  const bw = k + 1; // band storage: band[m * bw + d] = M[m][m + d]
  const band = new Float64Array(nb * bw);
  const rhs = new Float64Array(nb * nFits); // [nb][nFits]
  const scratch = new BasisScratch(k);
  const v = scratch.values;
  for (let s = 0; s < xs.length; s++) {
    const start = scratch.evaluate(knots, knotOffset, G, k, xs[s]!, false);
    if (start === NO_SUPPORT) continue;
    const w = options.weights ? options.weights[s]! : 1;
    for (let r = 0; r <= k; r++) {
      const m = start + r;
      if (m < 0 || m >= nb) continue;
      const wv = w * v[r]!;
      for (let q = r; q <= k; q++) {
        const m2 = start + q;
        if (m2 >= nb) break;
        band[m * bw + (q - r)]! += wv * v[q]!;
      }
      for (let f = 0; f < nFits; f++) rhs[m * nFits + f]! += wv * ys[s * nFits + f]!;
    }
  }
  let maxDiag = 0;
  for (let m = 0; m < nb; m++) maxDiag = Math.max(maxDiag, band[m * bw]!);
  const ridge = (options.ridge ?? 1e-10) * (maxDiag > 0 ? maxDiag : 1);
  for (let m = 0; m < nb; m++) band[m * bw]! += ridge;
  choleskyBandInPlace(band, nb, k);
  const coef = new Float64Array(nFits * nb);
  const col = new Float64Array(nb);
  for (let f = 0; f < nFits; f++) {
    for (let m = 0; m < nb; m++) col[m] = rhs[m * nFits + f]!;
    solveCholeskyBand(band, nb, k, col);
    coef.set(col, f * nb);
  }
  return coef;
}

/**
 * Cholesky factorisation M = U^T U of a symmetric positive-definite band matrix stored as band[i * (p+1) + d] = M[i][i+d];
 * overwritten with U in the same layout.
 */
export function choleskyBandInPlace(band: Float64Array, n: number, p: number): void {
  const bw = p + 1;
  for (let i = 0; i < n; i++) {
    let diag = band[i * bw]!;
    for (let l = Math.max(0, i - p); l < i; l++) {
      const u = band[l * bw + (i - l)]!;
      diag -= u * u;
    }
    if (!(diag > 0)) throw new Error(`spline least squares: normal matrix is not positive definite at basis ${i} (degenerate grid?)`);
    const uii = Math.sqrt(diag);
    band[i * bw] = uii;
    for (let j = i + 1; j <= Math.min(n - 1, i + p); j++) {
      let sum = band[i * bw + (j - i)]!;
      for (let l = Math.max(0, j - p); l < i; l++) sum -= band[l * bw + (i - l)]! * band[l * bw + (j - l)]!;
      band[i * bw + (j - i)] = sum / uii;
    }
  }
}

/** Solves U^T U x = b in place for a factor from choleskyBandInPlace. */
export function solveCholeskyBand(band: Float64Array, n: number, p: number, b: Float64Array): void {
  const bw = p + 1;
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let l = Math.max(0, i - p); l < i; l++) sum -= band[l * bw + (i - l)]! * b[l]!;
    b[i] = sum / band[i * bw]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i]!;
    for (let j = i + 1; j <= Math.min(n - 1, i + p); j++) sum -= band[i * bw + (j - i)]! * b[j]!;
    b[i] = sum / band[i * bw]!;
  }
}
