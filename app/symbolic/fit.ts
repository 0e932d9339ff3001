/**
 * Fitting one edge's samples (x, y) with c * f(a*x + b) + d for one library function f.
 *
 * For fixed (a, b) the best (c, d) is linear least squares, and its R^2 is the squared correlation of f(a*x + b) with y,
 * so the search is over (a, b) only, in the coordinates u = (x - centre) / halfWidth in [-1, 1] of the data, where the
 * argument is z = h*u + zeta and [zeta - |h|, zeta + |h|] is the window of f the data sees:
 *   1. a coarse grid over (h, zeta) shaped by the function (library.ts SearchKind, parity, domain), scored by R^2 on a
 *      quantile subsample of at most 64 points; for sin and cos only h is gridded, since for each h the best phase
 *      comes from regressing y on sin(h*u), cos(h*u) and 1;
 *   2. a pattern search (compass steps, halved on failure) around the best grid point;
 *   3. Levenberg-Marquardt on (a, b, c, d) (only the parameters that are not redundant for f) over a quantile subsample
 *      of at most 128 points;
 *   4. (c, d) by least squares and R^2 on all samples.
 * A window is admissible only when [zeta - |h|, zeta + |h|] widened by 1% of its width on each side lies in f's domain,
 * so test points slightly beyond the training range stay inside it too; candidates with no admissible window are
 * reported as such, never fitted to NaN.
 */
import { domainAdmits, type LibraryFunction, MAX_POLYNOMIAL_DEGREE, polynomialFunction } from './library';
import { leastSquares } from '../util/linalg';

export interface EdgeSamples {
  /** Inputs and values of the edge [n]. */
  x: Float64Array;
  y: Float64Array;
  n: number;
  xMin: number;
  xMax: number;
  yMean: number;
  /** Sum of squared deviations of y from its mean. */
  sst: number;
  /** True when y is constant (spread under 1e-8 of its largest magnitude): every function fits it with c = 0, R^2 = 1. */
  constantY: boolean;
  /** Grid-search subsample: u in [-1, 1] and y minus its mean. */
  searchU: Float64Array;
  searchY: Float64Array;
  searchSyy: number;
  /** Levenberg-Marquardt subsample. */
  refineX: Float64Array;
  refineY: Float64Array;
}

export interface SymbolicFit {
  fn: LibraryFunction;
  a: number;
  b: number;
  c: number;
  d: number;
  /** Coefficient of determination on all samples, 1 - SSR/SST. */
  r2: number;
}

const SEARCH_POINTS = 64;
/** sin and cos: h on (0, 15] in steps of 0.125. */
const SINUSOID_MAX_H = 15;
const SINUSOID_STEPS = 120;
const REFINE_POINTS = 128;
const MAX_LM_ITERATIONS = 60;
/**
 * Levenberg-Marquardt stops when a step lowers the squared error by less than LM_RELATIVE_GAIN, or after LM_PATIENCE
 * steps in a row under LM_SLOW_GAIN: an exact fit converges quadratically and never crawls, while a poor candidate
 * crawling along a valley gains nothing that could change its rank.
 */
const LM_RELATIVE_GAIN = 1e-10;
const LM_SLOW_GAIN = 1e-4;
const LM_PATIENCE = 3;
/** Margin around the data's argument window that must stay in the domain, as a fraction of the window width. */
const DOMAIN_MARGIN = 0.01;

/** Sorts and subsamples an edge's samples once, for fitting every candidate function. */
export function prepareEdgeSamples(x: Float64Array, y: Float64Array): EdgeSamples {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new Error(`symbolic fitting needs at least 2 samples with one value each; got ${n} inputs and ${y.length} values`);
  const order = Array.from({ length: n }, (_, s) => s).sort((p, q) => x[p]! - x[q]!);
  const xMin = x[order[0]!]!;
  const xMax = x[order[n - 1]!]!;
  let yMean = 0;
  for (let s = 0; s < n; s++) yMean += y[s]!;
  yMean /= n;
  let sst = 0;
  let yScale = Math.abs(yMean);
  for (let s = 0; s < n; s++) {
    sst += (y[s]! - yMean) ** 2;
    yScale = Math.max(yScale, Math.abs(y[s]!));
  }
  // Splines fitted to a constant wobble by ~1e-9 of its value: below 1e-8 the spread is noise, and R^2 meaningless.
  const constantY = Math.sqrt(sst / n) <= 1e-8 * Math.max(yScale, 1e-300);
  const centre = (xMin + xMax) / 2;
  const half = (xMax - xMin) / 2;
  const search = quantileSubsample(order, SEARCH_POINTS);
  const searchU = new Float64Array(search.length);
  const searchY = new Float64Array(search.length);
  let searchMean = 0;
  search.forEach((s) => (searchMean += y[s]!));
  searchMean /= search.length;
  let searchSyy = 0;
  search.forEach((s, q) => {
    searchU[q] = half > 0 ? (x[s]! - centre) / half : 0;
    searchY[q] = y[s]! - searchMean;
    searchSyy += searchY[q]! ** 2;
  });
  const refine = quantileSubsample(order, REFINE_POINTS);
  return {
    x, y, n, xMin, xMax, yMean, sst, constantY, searchU, searchY, searchSyy,
    refineX: Float64Array.from(refine, (s) => x[s]!),
    refineY: Float64Array.from(refine, (s) => y[s]!),
  };
}

/** Best c * f(a*x + b) + d for these samples, or null when no argument window of f fits in its domain. */
export function fitSymbolic(samples: EdgeSamples, fn: LibraryFunction): SymbolicFit | null {
  const { xMin, xMax } = samples;
  const centre = (xMin + xMax) / 2;
  const half = (xMax - xMin) / 2;
  if (samples.constantY || !(half > 0)) return constantFit(samples, fn);
  if (fn.search === 'none') return finish(samples, fn, 1, 0);
  const best = fn.search === 'sinusoid' ? sinusoidSearch(samples, fn.phase ?? 0) : gridSearch(samples, fn);
  if (!best) return null;
  const local = patternSearch(samples, fn, best);
  // z = h*u + zeta with u = (x - centre) / half.
  const a0 = local.h / half;
  const b0 = local.zeta - (local.h * centre) / half;
  const free = fn.search === 'scale' ? [0, 2, 3] : fn.search === 'shift' ? [1, 2, 3] : [0, 1, 2, 3];
  const refined = levenbergMarquardt(samples, fn, a0, b0, free);
  return finish(samples, fn, refined.a, refined.b);
}

/**
 * The lowest-degree polynomial (1 to MAX_POLYNOMIAL_DEGREE) whose R^2 reaches r2Target, else the best of them: fitted by
 * least squares in u = (x - centre) / halfWidth, so the edge is q(a*x + b) + d with (a, b) that map the data to [-1, 1]
 * (well conditioned whatever the units of x).
 */
export function fitPolynomial(samples: EdgeSamples, r2Target: number): SymbolicFit {
  const { x, y, n, xMin, xMax, sst } = samples;
  const half = (xMax - xMin) / 2;
  const a = half > 0 ? 1 / half : 1;
  const b = -((xMin + xMax) / 2) * a;
  const u = x.map((v) => a * v + b);
  let best: SymbolicFit | null = null;
  for (let degree = 1; degree <= MAX_POLYNOMIAL_DEGREE; degree++) {
    const columns = [new Float64Array(n).fill(1)];
    for (let k = 1; k <= degree; k++) columns.push(u.map((v) => v ** k));
    const w = leastSquares(columns, y);
    if (!w) continue;
    const fn = polynomialFunction(Array.from(w.subarray(1)));
    let ssr = 0;
    for (let s = 0; s < n; s++) ssr += (fn.f(u[s]!) + w[0]! - y[s]!) ** 2;
    const r2 = sst > 0 ? Math.max(0, 1 - ssr / sst) : 1;
    const fit: SymbolicFit = { fn, a, b, c: 1, d: w[0]!, r2 };
    if (!best || r2 > best.r2) best = fit;
    if (r2 >= r2Target) return fit;
  }
  return best ?? { fn: polynomialFunction([0]), a, b, c: 1, d: samples.yMean, r2: 0 };
}

/** Convenience: prepares the samples and fits one function. */
export function fitSymbolicEdge(x: Float64Array, y: Float64Array, fn: LibraryFunction): SymbolicFit | null {
  return fitSymbolic(prepareEdgeSamples(x, y), fn);
}

/** True when the argument window of a*x + b over [xMin, xMax], widened by the margin, lies in f's domain. */
export function argumentAdmissible(fn: LibraryFunction, a: number, b: number, xMin: number, xMax: number): boolean {
  const z1 = a * xMin + b;
  const z2 = a * xMax + b;
  return windowAdmissible(fn, Math.min(z1, z2), Math.max(z1, z2));
}

function windowAdmissible(fn: LibraryFunction, lo: number, hi: number): boolean {
  const margin = DOMAIN_MARGIN * (hi - lo);
  return domainAdmits(fn.domain, lo - margin, hi + margin);
}

/** y constant: c = 0 and d = mean fit exactly; (a, b) put f's argument at an interior point of its domain. */
function constantFit(samples: EdgeSamples, fn: LibraryFunction): SymbolicFit {
  const d = fn.domain;
  const interior = d.tanPoles ? 0 : Number.isFinite(d.lo) && Number.isFinite(d.hi) ? (d.lo + d.hi) / 2 : Number.isFinite(d.lo) ? d.lo + 1 : Number.isFinite(d.hi) ? d.hi - 1 : d.excludeZero ? 1 : 0;
  return { fn, a: 0, b: interior, c: 0, d: samples.yMean, r2: samples.constantY ? 1 : 0 };
}

/** (c, d) by least squares on all samples for this (a, b), and R^2. */
function finish(samples: EdgeSamples, fn: LibraryFunction, a: number, b: number): SymbolicFit | null {
  const { x, y, n, yMean, sst } = samples;
  const values = new Float64Array(n);
  let mean = 0;
  for (let s = 0; s < n; s++) {
    const v = fn.f(a * x[s]! + b);
    if (!Number.isFinite(v)) return null;
    values[s] = v;
    mean += v;
  }
  mean /= n;
  let sff = 0;
  let sfy = 0;
  for (let s = 0; s < n; s++) {
    const df = values[s]! - mean;
    sff += df * df;
    sfy += df * (y[s]! - yMean);
  }
  const c = sff > 0 ? sfy / sff : 0;
  const d = yMean - c * mean;
  let ssr = 0;
  for (let s = 0; s < n; s++) ssr += (c * values[s]! + d - y[s]!) ** 2;
  if (!(Number.isFinite(c) && Number.isFinite(d) && Number.isFinite(ssr))) return null;
  return { fn, a, b, c, d, r2: Math.max(0, 1 - ssr / sst) };
}

interface Window {
  h: number;
  zeta: number;
  r2: number;
}

/** R^2 of the best (c, d) for the window (h, zeta) on the search subsample; -1 when inadmissible. */
function windowR2(samples: EdgeSamples, fn: LibraryFunction, h: number, zeta: number): number {
  const a = Math.abs(h);
  if (!windowAdmissible(fn, zeta - a, zeta + a)) return -1;
  const { searchU: u, searchY: y, searchSyy } = samples;
  const m = u.length;
  const f = fn.f;
  let sf = 0;
  let sff = 0;
  let sfy = 0;
  for (let q = 0; q < m; q++) {
    const v = f(h * u[q]! + zeta);
    sf += v;
    sff += v * v;
    sfy += v * y[q]!;
  }
  if (fn.custom && !Number.isFinite(sff + sfy)) return -1;
  const varF = sff - (sf * sf) / m;
  if (!(varF > 1e-300 * Math.max(1, sff))) return 0;
  const r2 = (sfy * sfy) / (varF * searchSyy);
  return Number.isFinite(r2) ? r2 : -1;
}

const gridCache = new WeakMap<LibraryFunction, Float64Array>();

/** The coarse search grid of f: pairs (h, zeta), flattened. Depends on f only. */
function searchGrid(fn: LibraryFunction): Float64Array {
  const cached = gridCache.get(fn);
  if (cached) return cached;
  const pairs: number[] = [];
  const signs = fn.parity === 'none' ? [1, -1] : [1];
  const d = fn.domain;
  if (fn.search === 'scale') {
    for (const h of logspace(0.03, 30, 32)) for (const sign of [1, -1]) pairs.push(sign * h, 0);
  } else if (fn.search === 'shift') {
    // |h| = 1: z = +-u + zeta, zeta placing the window relative to the domain boundary or the kink at 0.
    let shifts: number[];
    if (Number.isFinite(d.lo)) shifts = logspace(0.02, 300, 32).map((gap) => d.lo + 1 + gap);
    else if (d.excludeZero) shifts = logspace(0.02, 300, 32).flatMap((gap) => [1 + gap, -1 - gap]);
    else shifts = [...linspace(-1.5, 1.5, 31), ...logspace(2, 300, 16).flatMap((s) => [s, -s])];
    for (const sign of signs) for (const zeta of shifts) pairs.push(sign, zeta);
  } else {
    const bounded = Number.isFinite(d.lo) && Number.isFinite(d.hi) && d.hi - d.lo <= 100;
    if (bounded || d.tanPoles) {
      // Windows [z_p, z_q] between points of the domain (tan: of its principal branch).
      const lo = d.tanPoles ? -Math.PI / 2 : d.lo;
      const hi = d.tanPoles ? Math.PI / 2 : d.hi;
      const inset = (hi - lo) * 0.02;
      const pts = linspace(lo + inset, hi - inset, 18);
      for (let p = 0; p < pts.length; p++) {
        for (let q = p + 1; q < pts.length; q++) for (const sign of signs) pairs.push((sign * (pts[q]! - pts[p]!)) / 2, (pts[p]! + pts[q]!) / 2);
      }
    } else {
      // Features of f near z = 0 (tanh, gaussian, ...): windows of every width near it.
      for (const h of logspace(0.1, 20, 16)) for (const zeta of linspace(-(h + 4), h + 4, 15)) for (const sign of signs) pairs.push(sign * h, zeta);
    }
  }
  const grid = Float64Array.from(pairs);
  gridCache.set(fn, grid);
  return grid;
}

function gridSearch(samples: EdgeSamples, fn: LibraryFunction): Window | null {
  const grid = searchGrid(fn);
  let best: Window | null = null;
  for (let p = 0; p < grid.length; p += 2) {
    const h = grid[p]!;
    const zeta = grid[p + 1]!;
    const r2 = windowR2(samples, fn, h, zeta);
    if (r2 >= 0 && (!best || r2 > best.r2)) best = { h, zeta, r2 };
  }
  return best;
}

/**
 * sin(h*u + theta) = cos(theta) sin(h*u) + sin(theta) cos(h*u): for each h on a linear grid (the phase error at the
 * ends of the data grows with the step in h, not with h), the best theta is read off the least-squares fit of y on
 * sin(h*u), cos(h*u) and 1. zeta = theta - phase turns it into the window of sin(z + phase).
 */
function sinusoidSearch(samples: EdgeSamples, phase: number): Window {
  const { searchU: u, searchY: y, searchSyy } = samples;
  const m = u.length;
  let best: Window = { h: 1, zeta: -phase, r2: 0 };
  for (let step = 1; step <= SINUSOID_STEPS; step++) {
    const h = (SINUSOID_MAX_H * step) / SINUSOID_STEPS;
    let ss = 0, sc = 0, s1 = 0, c1 = 0, cc = 0, sy = 0, cy = 0;
    for (let q = 0; q < m; q++) {
      const sv = Math.sin(h * u[q]!);
      const cv = Math.cos(h * u[q]!);
      ss += sv * sv;
      sc += sv * cv;
      cc += cv * cv;
      s1 += sv;
      c1 += cv;
      sy += sv * y[q]!;
      cy += cv * y[q]!;
    }
    // Centre the two columns (y is centred already), then solve the 2 x 2 normal equations.
    const vss = ss - (s1 * s1) / m;
    const vcc = cc - (c1 * c1) / m;
    const vsc = sc - (s1 * c1) / m;
    const det = vss * vcc - vsc * vsc;
    if (!(det > 1e-12 * Math.max(vss * vcc, 1e-300))) continue;
    const ws = (vcc * sy - vsc * cy) / det;
    const wc = (vss * cy - vsc * sy) / det;
    const r2 = (ws * sy + wc * cy) / searchSyy;
    if (r2 > best.r2) best = { h, zeta: Math.atan2(wc, ws) - phase, r2 };
  }
  return best;
}

/** Compass search around a grid point over the coordinates f's search kind leaves free; steps halve on failure. */
function patternSearch(samples: EdgeSamples, fn: LibraryFunction, start: Window): Window {
  let best = start;
  let stepH = fn.search === 'shift' ? 0 : 0.1 * Math.abs(start.h) + 0.02;
  let stepZeta = fn.search === 'scale' ? 0 : fn.search === 'shift' ? 0.1 * Math.abs(start.zeta) + 0.05 : 0.1 * (Math.abs(start.h) + 0.5);
  // Levenberg-Marquardt refines smooth functions; the compass steps matter most for the kinks of abs and sgn.
  const iterations = fn.search === 'shift' ? 24 : 10;
  for (let iter = 0; iter < iterations; iter++) {
    let moved = false;
    for (const [dh, dz] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]] as const) {
      if ((dh !== 0 && stepH === 0) || (dz !== 0 && stepZeta === 0)) continue;
      const h = best.h + dh * stepH;
      const zeta = best.zeta + dz * stepZeta;
      if (h === 0 || Math.sign(h) !== Math.sign(best.h)) continue;
      const r2 = windowR2(samples, fn, h, zeta);
      if (r2 > best.r2) {
        best = { h, zeta, r2 };
        moved = true;
      }
    }
    if (!moved) {
      stepH /= 2;
      stepZeta /= 2;
    }
  }
  return best;
}

/**
 * Levenberg-Marquardt (Marquardt's diagonal scaling) on the refine subsample for the parameters p = (a, b, c, d) listed
 * in free; a step that leaves f's domain or does not lower the squared error is refused and the damping raised.
 */
function levenbergMarquardt(samples: EdgeSamples, fn: LibraryFunction, a0: number, b0: number, free: number[]): { a: number; b: number } {
  const { refineX: x, refineY: y, xMin, xMax } = samples;
  const m = x.length;
  const k = free.length;
  const start = linearFit(fn, x, y, a0, b0);
  const p = Float64Array.of(a0, b0, start.c, start.d);
  let ssr = squaredError(fn, x, y, p);
  if (!Number.isFinite(ssr)) return { a: a0, b: b0 };
  let lambda = 1e-3;
  const jtj = new Float64Array(k * k);
  const jtr = new Float64Array(k);
  const row = new Float64Array(4);
  const system = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  const step = new Float64Array(k);
  const trial = new Float64Array(4);
  let slowSteps = 0;
  for (let iter = 0; iter < MAX_LM_ITERATIONS; iter++) {
    jtj.fill(0);
    jtr.fill(0);
    const a = p[0]!;
    const b = p[1]!;
    const c = p[2]!;
    const d = p[3]!;
    for (let s = 0; s < m; s++) {
      const xs = x[s]!;
      const z = a * xs + b;
      const fz = fn.f(z);
      const cdf = c * fn.df(z);
      row[0] = cdf * xs;
      row[1] = cdf;
      row[2] = fz;
      row[3] = 1;
      const r = c * fz + d - y[s]!;
      for (let q = 0; q < k; q++) {
        const jq = row[free[q]!]!;
        jtr[q]! += jq * r;
        for (let t = 0; t <= q; t++) jtj[q * k + t]! += jq * row[free[t]!]!;
      }
    }
    let gain = 0;
    while (lambda < 1e12) {
      for (let q = 0; q < k; q++) {
        for (let t = 0; t <= q; t++) system[q * k + t] = system[t * k + q] = jtj[q * k + t]!;
        system[q * k + q]! += lambda * (jtj[q * k + q]! + 1e-12);
        rhs[q] = -jtr[q]!;
      }
      trial.set(p);
      const solved = solveInPlace(system, rhs, step, k);
      if (solved) for (let q = 0; q < k; q++) trial[free[q]!]! += step[q]!;
      const trialSsr = solved && argumentAdmissible(fn, trial[0]!, trial[1]!, xMin, xMax) ? squaredError(fn, x, y, trial) : Number.NaN;
      if (trialSsr < ssr) {
        gain = (ssr - trialSsr) / ssr;
        p.set(trial);
        ssr = trialSsr;
        lambda = Math.max(lambda / 3, 1e-12);
        break;
      }
      lambda *= 4;
    }
    slowSteps = gain < LM_SLOW_GAIN ? slowSteps + 1 : 0;
    if (!(gain > LM_RELATIVE_GAIN) || ssr === 0 || slowSteps >= LM_PATIENCE) break;
  }
  return { a: p[0]!, b: p[1]! };
}

function linearFit(fn: LibraryFunction, x: Float64Array, y: Float64Array, a: number, b: number): { c: number; d: number } {
  const m = x.length;
  let sf = 0;
  let sy = 0;
  for (let s = 0; s < m; s++) {
    sf += fn.f(a * x[s]! + b);
    sy += y[s]!;
  }
  const mf = sf / m;
  const my = sy / m;
  let sff = 0;
  let sfy = 0;
  for (let s = 0; s < m; s++) {
    const df = fn.f(a * x[s]! + b) - mf;
    sff += df * df;
    sfy += df * (y[s]! - my);
  }
  const c = sff > 0 ? sfy / sff : 0;
  return { c, d: my - c * mf };
}

function squaredError(fn: LibraryFunction, x: Float64Array, y: Float64Array, p: Float64Array): number {
  const a = p[0]!;
  const b = p[1]!;
  const c = p[2]!;
  const d = p[3]!;
  let sum = 0;
  for (let s = 0; s < x.length; s++) sum += (c * fn.f(a * x[s]! + b) + d - y[s]!) ** 2;
  return Number.isFinite(sum) ? sum : Number.NaN;
}

/** Solves the k x k system A v = rhs (A and rhs are overwritten) by Gaussian elimination with partial pivoting; false when singular. */
function solveInPlace(A: Float64Array, rhs: Float64Array, v: Float64Array, k: number): boolean {
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r * k + col]!) > Math.abs(A[pivot * k + col]!)) pivot = r;
    if (!(Math.abs(A[pivot * k + col]!) > 0)) return false;
    if (pivot !== col) {
      for (let t = 0; t < k; t++) {
        const tmp = A[col * k + t]!;
        A[col * k + t] = A[pivot * k + t]!;
        A[pivot * k + t] = tmp;
      }
      const tmp = rhs[col]!;
      rhs[col] = rhs[pivot]!;
      rhs[pivot] = tmp;
    }
    for (let r = col + 1; r < k; r++) {
      const factor = A[r * k + col]! / A[col * k + col]!;
      for (let t = col; t < k; t++) A[r * k + t]! -= factor * A[col * k + t]!;
      rhs[r]! -= factor * rhs[col]!;
    }
  }
  for (let r = k - 1; r >= 0; r--) {
    let sum = rhs[r]!;
    for (let t = r + 1; t < k; t++) sum -= A[r * k + t]! * v[t]!;
    v[r] = sum / A[r * k + r]!;
  }
  for (let q = 0; q < k; q++) if (!Number.isFinite(v[q]!)) return false;
  return true;
}

/** Indices of `count` samples evenly spaced in rank (all of them when there are fewer). */
function quantileSubsample(order: number[], count: number): number[] {
  const n = order.length;
  if (n <= count) return order.slice();
  return Array.from({ length: count }, (_, q) => order[Math.round((q * (n - 1)) / (count - 1))]!);
}

function linspace(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, q) => lo + ((hi - lo) * q) / (count - 1));
}

function logspace(lo: number, hi: number, count: number): number[] {
  return linspace(Math.log(lo), Math.log(hi), count).map(Math.exp);
}
