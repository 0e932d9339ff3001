/**
 * Least-squares fit of spline coefficients to samples, the workhorse of grid update, grid extension and initialisation.
 * The normal matrix A^T A of a B-spline design matrix is banded (bandwidth k), so it is assembled and Cholesky-factored in
 * band storage: O(m k^2) to assemble and O((G+k) k^2) to solve, whatever G is.
 */
import { BasisScratch, NO_SUPPORT, basisCount, buildKnotTables, cubicBasisColumn, paddedKnotCount } from './bspline';

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
  const weights = options.weights ?? null;
  const { starts, values } = sampleBasis(knots, knotOffset, G, k, xs);
  accumulateNormalEquations(starts, values, k, nb, weights, ys, nFits, band, rhs);
  return solveNormalEquations(band, rhs, nb, k, nFits, options.ridge ?? 1e-10);
}

/**
 * The same least-squares fit when the targets are splines themselves: coef [nFits][G'+k] fitted at xs to the nFits
 * splines sum_m oldCoef[f][m] B_m(x) on other knots (grid update, grid extension), with oldCoef [nFits][oldG+k] read
 * from oldCoef at oldCoef0. Instead of evaluating every old spline at every sample (n * nFits * (k+1) work twice), the
 * right-hand side is (A'^T A) oldCoef through the cross Gram matrix of the two bases. A new basis function meets only
 * the old ones whose support overlaps its own, a run of consecutive indices, so each row of that matrix is kept as the
 * run the samples touch: the work is n * (k+1)^2 + nFits * (the touched entries), proportional to the samples and the
 * active basis functions, never to G * oldG. Entries outside a run are exact zeros, so skipping them changes no bit.
 */
export function refitSplines(
  knots: Float64Array, knotOffset: number, G: number,
  oldKnots: Float64Array, oldKnotOffset: number, oldG: number, k: number,
  xs: Float64Array, oldCoef: Float64Array, oldCoef0: number, nFits: number,
  options: { ridge?: number } = {},
): Float64Array {
  const nb = basisCount(G, k);
  const oldNb = basisCount(oldG, k);
  const fresh = sampleBasis(knots, knotOffset, G, k, xs);
  const old = sampleBasis(oldKnots, oldKnotOffset, oldG, k, xs);
  const band = new Float64Array(nb * (k + 1));
  accumulateNormalEquations(fresh.starts, fresh.values, k, nb, null, new Float64Array(0), 0, band, new Float64Array(0));
  const cross = crossGramRows(fresh, old, xs.length, k, nb, oldNb);
  const rhs = new Float64Array(nb * nFits); // [nb][nFits]
  for (let f = 0; f < nFits; f++) {
    const c0 = oldCoef0 + f * oldNb;
    for (let m = 0; m < nb; m++) {
      const first = cross.first[m]!;
      const entry0 = cross.offsets[m]! - first;
      let sum = 0;
      for (let mo = first; mo <= cross.last[m]!; mo++) sum += cross.entries[entry0 + mo]! * oldCoef[c0 + mo]!;
      rhs[m * nFits + f] = sum;
    }
  }
  return solveNormalEquations(band, rhs, nb, k, nFits, options.ridge ?? 1e-10);
}

/**
 * The cross Gram matrix sum_s B'_m(x_s) B_mo(x_s) of a new basis (nb functions) and an old one (oldNb) at the same
 * samples, row by row: row m holds the entries first[m]..last[m] (an empty run when last < first) at entries[offsets[m]..].
 */
function crossGramRows(
  fresh: { starts: Int32Array; values: Float64Array }, old: { starts: Int32Array; values: Float64Array },
  n: number, k: number, nb: number, oldNb: number,
): { first: Int32Array; last: Int32Array; offsets: Int32Array; entries: Float64Array } {
  const kp = k + 1;
  const first = new Int32Array(nb).fill(oldNb);
  const last = new Int32Array(nb).fill(-1);
  for (let s = 0; s < n; s++) {
    const start = fresh.starts[s]!;
    const oldStart = old.starts[s]!;
    if (start === NO_SUPPORT || oldStart === NO_SUPPORT) continue;
    const lo = Math.max(0, oldStart);
    const hi = Math.min(oldNb - 1, oldStart + k);
    if (hi < lo) continue;
    for (let r = 0; r <= k; r++) {
      const m = start + r;
      if (m < 0 || m >= nb) continue;
      if (lo < first[m]!) first[m] = lo;
      if (hi > last[m]!) last[m] = hi;
    }
  }
  const offsets = new Int32Array(nb + 1);
  for (let m = 0; m < nb; m++) offsets[m + 1] = offsets[m]! + Math.max(0, last[m]! - first[m]! + 1);
  const entries = new Float64Array(offsets[nb]!);
  for (let s = 0; s < n; s++) {
    const start = fresh.starts[s]!;
    const oldStart = old.starts[s]!;
    if (start === NO_SUPPORT || oldStart === NO_SUPPORT) continue;
    for (let r = 0; r <= k; r++) {
      const m = start + r;
      if (m < 0 || m >= nb) continue;
      const v = fresh.values[s * kp + r]!;
      const entry0 = offsets[m]! - first[m]!;
      for (let q = 0; q <= k; q++) {
        const mo = oldStart + q;
        if (mo >= 0 && mo < oldNb) entries[entry0 + mo]! += v * old.values[s * kp + q]!;
      }
    }
  }
  return { first, last, offsets, entries };
}

/** starts [n] (first basis index, or NO_SUPPORT) and values [n][k+1] of the basis at xs: one column-kernel sweep for cubics. */
function sampleBasis(knots: Float64Array, knotOffset: number, G: number, k: number, xs: Float64Array): { starts: Int32Array; values: Float64Array } {
  const n = xs.length;
  const kp = k + 1;
  const starts = new Int32Array(n);
  const values = new Float64Array(n * kp);
  if (k === 3) {
    const vector = knots.subarray(knotOffset, knotOffset + paddedKnotCount(G, k));
    cubicBasisColumn(vector, buildKnotTables(vector, G, k), 0, G, xs, 0, 1, n, starts, 0, NO_SUPPORT, values, 0, null);
  } else {
    const scratch = new BasisScratch(k);
    for (let s = 0; s < n; s++) starts[s] = scratch.evaluateInto(knots, knotOffset, G, k, xs[s]!, values, s * kp, null, 0);
  }
  return { starts, values };
}

/** Solves band * coef = rhs ([nb][nFits]) with a ridge relative to the largest diagonal entry; coef [nFits][nb]. */
function solveNormalEquations(band: Float64Array, rhs: Float64Array, nb: number, k: number, nFits: number, relativeRidge: number): Float64Array {
  const bw = k + 1;
  let maxDiag = 0;
  for (let m = 0; m < nb; m++) maxDiag = Math.max(maxDiag, band[m * bw]!);
  const ridge = relativeRidge * (maxDiag > 0 ? maxDiag : 1);
  for (let m = 0; m < nb; m++) band[m * bw]! += ridge;
  choleskyBandInPlace(band, nb, k);
  solveCholeskyBandColumns(band, nb, k, rhs, nFits);
  const coef = new Float64Array(nFits * nb);
  for (let m = 0; m < nb; m++) for (let f = 0; f < nFits; f++) coef[f * nb + m] = rhs[m * nFits + f]!;
  return coef;
}

/**
 * Solves U^T U x = b in place for a factor from choleskyBandInPlace, for the nFits right-hand sides of b [n][nFits] at
 * once: each column sees the operations of a one-column solve in the same order, but b is read along its rows (one
 * column of a wide layer's b would be one value per cache line).
 */
function solveCholeskyBandColumns(band: Float64Array, n: number, p: number, b: Float64Array, nFits: number): void {
  const bw = p + 1;
  for (let i = 0; i < n; i++) {
    const row = i * nFits;
    for (let l = Math.max(0, i - p); l < i; l++) {
      const u = band[l * bw + (i - l)]!;
      const from = l * nFits;
      for (let f = 0; f < nFits; f++) b[row + f]! -= u * b[from + f]!;
    }
    const diag = band[i * bw]!;
    for (let f = 0; f < nFits; f++) b[row + f] = b[row + f]! / diag;
  }
  for (let i = n - 1; i >= 0; i--) {
    const row = i * nFits;
    for (let j = i + 1; j <= Math.min(n - 1, i + p); j++) {
      const u = band[i * bw + (j - i)]!;
      const from = j * nFits;
      for (let f = 0; f < nFits; f++) b[row + f]! -= u * b[from + f]!;
    }
    const diag = band[i * bw]!;
    for (let f = 0; f < nFits; f++) b[row + f] = b[row + f]! / diag;
  }
}

/**
 * Adds every sample's contribution to the band of A^T W A [nb][k+1] and to A^T W y [nb][nFits], from its basis
 * (starts [n], values [n][k+1]). A function of its own so that V8 optimises the loop with complete type feedback.
 */
function accumulateNormalEquations(
  starts: Int32Array, values: Float64Array, k: number, nb: number, weights: Float64Array | null,
  ys: Float64Array, nFits: number, band: Float64Array, rhs: Float64Array,
): void {
  const kp = k + 1;
  const bw = k + 1;
  const wv = new Float64Array(kp);
  for (let s = 0; s < starts.length; s++) {
    const start = starts[s]!;
    if (start === NO_SUPPORT) continue;
    const w = weights !== null ? weights[s]! : 1;
    const vOff = s * kp;
    for (let r = 0; r <= k; r++) wv[r] = w * values[vOff + r]!;
    const yOff = s * nFits;
    if (start >= 0 && start + k < nb) {
      // All k+1 bases exist: no bounds per entry, and one pass over the fits updates their k+1 right-hand sides.
      for (let r = 0; r <= k; r++) {
        const row = (start + r) * bw - r;
        for (let q = r; q <= k; q++) band[row + q]! += wv[r]! * values[vOff + q]!;
      }
      const rhs0 = start * nFits;
      if (k === 3) {
        // Cubic (nearly every call): the four weights in registers, four contiguous rows of rhs.
        const w0 = wv[0]!;
        const w1 = wv[1]!;
        const w2 = wv[2]!;
        const w3 = wv[3]!;
        const r1 = rhs0 + nFits;
        const r2 = r1 + nFits;
        const r3 = r2 + nFits;
        for (let f = 0; f < nFits; f++) {
          const yv = ys[yOff + f]!;
          rhs[rhs0 + f]! += w0 * yv;
          rhs[r1 + f]! += w1 * yv;
          rhs[r2 + f]! += w2 * yv;
          rhs[r3 + f]! += w3 * yv;
        }
        continue;
      }
      for (let f = 0; f < nFits; f++) {
        const yv = ys[yOff + f]!;
        for (let r = 0; r <= k; r++) rhs[rhs0 + r * nFits + f]! += wv[r]! * yv;
      }
      continue;
    }
    for (let r = 0; r <= k; r++) {
      const m = start + r;
      if (m < 0 || m >= nb) continue;
      for (let q = r; q <= k; q++) {
        const m2 = start + q;
        if (m2 >= nb) break;
        band[m * bw + (q - r)]! += wv[r]! * values[vOff + q]!;
      }
      for (let f = 0; f < nFits; f++) rhs[m * nFits + f]! += wv[r]! * ys[yOff + f]!;
    }
  }
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
