/**
 * A Kolmogorov–Arnold network [n0, n1, ..., nL]: a stack of KAN layers over one flat Float64Array of parameters, with the
 * training objective (prediction loss + the paper's L1/entropy regulariser + optional coefficient L1) and its gradient.
 */
import type { Batch, DifferentiableModel, Task } from '../train/types';
import { predictionLoss } from '../train/loss';
import type { Rng } from '../util/rng';
import { basisCount, padGrid, paddedKnotCount } from './bspline';
import { fitSplineCoefficients } from './splinefit';
import { predictLayer } from './domain';
import { type BaseKind, type KanLayer, LayerCache, assignOffsets, emptyLayer, layerBackward, layerForward, layerParamLength } from './layer';

export interface KanSpec {
  /** Nodes per layer, inputs first: [2, 5, 1]. */
  width: number[];
  /** Grid intervals G. */
  grid: number;
  /** Spline order k (3 = cubic). */
  k: number;
  /** Initial grid range of every layer, or one range per layer; default [-1, 1]. */
  gridRange?: [number, number] | [number, number][];
  base?: BaseKind;
  /** Scale of the initial spline noise (pykan's noise_scale). */
  noiseScale?: number;
  /** Initial w_b = (mu + sigma * U(-1, 1)) / sqrt(nIn) (pykan's scale_base_mu / scale_base_sigma). */
  scaleBaseMu?: number;
  scaleBaseSigma?: number;
}

export interface KanRegularization {
  /** Overall weight lambda of the regulariser; 0 switches it off. */
  lamb: number;
  /** mu1: weight of the L1 norm of edge magnitudes. */
  lambL1: number;
  /** mu2: weight of the entropy of each layer's normalised edge magnitudes. */
  lambEntropy: number;
  /** Weight of the mean |coef| of each edge. */
  lambCoef: number;
  /** Weight of the mean |coef[m+1] - coef[m]| of each edge. */
  lambCoefDiff: number;
}

export const NO_REGULARIZATION: KanRegularization = { lamb: 0, lambL1: 1, lambEntropy: 2, lambCoef: 0, lambCoefDiff: 0 };

/** Per-layer buffers reused across lossAndGrad calls (an L-BFGS fit makes about a thousand of them). */
interface LossWorkspace {
  n: number;
  caches: LayerCache[];
  /** outputs[l]: [n][n_{l+1}]. */
  outputs: Float64Array[];
  /** inputGrads[l]: d(objective)/d(input of layer l) [n][n_l]; empty for l = 0, whose input gradient is not needed. */
  inputGrads: Float64Array[];
  /** edgeAbs[l]: mean |phi_e| per edge [n_l][n_{l+1}]. */
  edgeAbs: Float64Array[];
  /** d(objective)/d(output) [n][nOut]. */
  outputGrad: Float64Array;
}

export class Kan implements DifferentiableModel {
  layers: KanLayer[];
  params: Float64Array;
  regularization: KanRegularization = { ...NO_REGULARIZATION };
  private workspace: LossWorkspace = { n: -1, caches: [], outputs: [], inputGrads: [], edgeAbs: [], outputGrad: new Float64Array(0) };

  constructor(layers: KanLayer[], params: Float64Array) {
    this.layers = layers;
    let offset = 0;
    for (const layer of layers) offset = assignOffsets(layer, offset);
    if (params.length !== offset) throw new Error(`KAN parameter vector has ${params.length} entries, its layers need ${offset}`);
    this.params = params;
  }

  static create(spec: KanSpec, rng: Rng): Kan {
    validateSpec(spec);
    const { width, grid: G, k } = spec;
    const base = spec.base ?? 'silu';
    const layers: KanLayer[] = [];
    let total = 0;
    for (let l = 0; l + 1 < width.length; l++) {
      layers.push(emptyLayer(width[l]!, width[l + 1]!, G, k, base));
      total += layerParamLength(width[l]!, width[l + 1]!, G, k);
    }
    const kan = new Kan(layers, new Float64Array(total));
    const noiseScale = spec.noiseScale ?? 0.3;
    const mu = spec.scaleBaseMu ?? 0;
    const sigma = spec.scaleBaseSigma ?? 1;
    const nb = basisCount(G, k);
    layers.forEach((layer, l) => {
      const [lo, hi] = rangeOfLayer(spec.gridRange, l);
      const pts = new Float64Array(G + 1);
      for (let q = 0; q <= G; q++) pts[q] = lo + ((hi - lo) * q) / G;
      const knotLen = paddedKnotCount(G, k);
      for (let i = 0; i < layer.nIn; i++) padGrid(pts, k, layer.knots, i * knotLen);
      const p = kan.params;
      const scale = 1 / Math.sqrt(layer.nIn);
      // Initial splines: least-squares fit to small uniform noise at the grid points, as pykan does.
      for (let i = 0; i < layer.nIn; i++) {
        const noise = new Float64Array((G + 1) * layer.nOut);
        for (let q = 0; q < noise.length; q++) noise[q] = ((rng.uniform() - 0.5) * noiseScale) / G;
        const coef = fitSplineCoefficients(layer.knots, i * knotLen, G, k, pts, noise, layer.nOut, { ridge: 1e-8 });
        for (let j = 0; j < layer.nOut; j++) p.set(coef.subarray(j * nb, (j + 1) * nb), layer.coefOffset + (i * layer.nOut + j) * nb);
      }
      for (let e = 0; e < layer.nIn * layer.nOut; e++) {
        p[layer.wbOffset + e] = (mu + sigma * (2 * rng.uniform() - 1)) * scale;
        p[layer.wsOffset + e] = scale;
        p[layer.symOffset + 4 * e] = 1;
        p[layer.symOffset + 4 * e + 2] = 1;
      }
    });
    return kan;
  }

  get nIn(): number {
    return this.layers[0]!.nIn;
  }

  get nOut(): number {
    return this.layers[this.layers.length - 1]!.nOut;
  }

  /** Current widths [n0, ..., nL]. */
  get width(): number[] {
    return [this.layers[0]!.nIn, ...this.layers.map((l) => l.nOut)];
  }

  forward(x: Float64Array, n: number): Float64Array {
    const acts = this.activations(x, n);
    return acts[acts.length - 1]!;
  }

  /** Inputs of every layer and the output: acts[0] = x [n][n0], acts[l] [n][n_l], acts[L] = output. */
  activations(x: Float64Array, n: number): Float64Array[] {
    const acts = [x];
    let cur = x;
    for (const layer of this.layers) {
      const next = new Float64Array(n * layer.nOut);
      predictLayer(layer, this.params, cur, n, next);
      acts.push(next);
      cur = next;
    }
    return acts;
  }

  lossAndGrad(batch: Batch, task: Task, grad: Float64Array): { objective: number; loss: number } {
    const { x, y, n } = batch;
    const reg = this.regularization;
    const useActReg = reg.lamb > 0 && (reg.lambL1 !== 0 || reg.lambEntropy !== 0);
    const layers = this.layers;
    const work = this.workspaceFor(n);
    let cur = x;
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l]!;
      const out = work.outputs[l]!;
      const abs = useActReg ? work.edgeAbs[l]! : null;
      if (abs) abs.fill(0);
      // Only the model's own input can repeat between calls; hidden activations change with every parameter step.
      layerForward(layer, this.params, cur, n, out, work.caches[l]!, abs, l === 0);
      cur = out;
    }
    const pred = cur;
    let gy = work.outputGrad;
    const loss = predictionLoss(task, pred, y, n, this.nOut, gy);
    grad.fill(0);
    let objective = loss;
    const regCoefs: (Float64Array | null)[] = layers.map((_, l) => {
      if (!useActReg) return null;
      const abs = work.edgeAbs[l]!;
      for (let e = 0; e < abs.length; e++) abs[e]! /= n;
      const { value, coef } = magnitudeRegularizer(abs, reg);
      objective += value;
      return coef;
    });
    if (reg.lamb > 0 && (reg.lambCoef !== 0 || reg.lambCoefDiff !== 0)) objective += coefficientRegularizer(this.layers, this.params, this.regularization, grad);
    for (let l = layers.length - 1; l >= 0; l--) {
      const gx = l > 0 ? work.inputGrads[l]! : null;
      layerBackward(layers[l]!, this.params, work.caches[l]!, gy, regCoefs[l]!, grad, gx);
      if (gx) gy = gx;
    }
    return { objective, loss };
  }

  /** The buffers of lossAndGrad for batches of n samples, rebuilt only when n or a layer's shape changes. */
  private workspaceFor(n: number): LossWorkspace {
    const layers = this.layers;
    const w = this.workspace;
    const fits = w.n === n && w.caches.length === layers.length
      && layers.every((layer, l) => w.outputs[l]!.length === n * layer.nOut && w.inputGrads[l]!.length === (l > 0 ? n * layer.nIn : 0) && w.edgeAbs[l]!.length === layer.nIn * layer.nOut);
    if (fits) return w;
    const caches = layers.map((_, l) => w.caches[l] ?? new LayerCache());
    this.workspace = {
      n,
      caches,
      outputs: layers.map((layer) => new Float64Array(n * layer.nOut)),
      inputGrads: layers.map((layer, l) => new Float64Array(l > 0 ? n * layer.nIn : 0)),
      edgeAbs: layers.map((layer) => new Float64Array(layer.nIn * layer.nOut)),
      outputGrad: new Float64Array(n * this.nOut),
    };
    return this.workspace;
  }

  /** Parameters in use: G + k + 2 per active numeric edge, 4 per symbolic edge. */
  parameterCount(): number {
    return parametersInUse(this.layers);
  }

  clone(): Kan {
    const copy = new Kan(copyLayers(this.layers), this.params.slice());
    copy.regularization = { ...this.regularization };
    return copy;
  }
}

/** Parameters in use over layers: G + k + 2 per active numeric edge, 4 per symbolic edge (Kan and MultKan alike). */
export function parametersInUse(layers: readonly KanLayer[]): number {
  let count = 0;
  for (const layer of layers) {
    const nb = basisCount(layer.G, layer.k);
    for (let e = 0; e < layer.nIn * layer.nOut; e++) {
      if (layer.mask[e] !== 0) count += nb + 2;
      if (layer.symMask[e] !== 0) count += 4;
    }
  }
  return count;
}

/** Layers with their own knots, masks and symbolic functions, for a model's clone (parameters are copied apart). */
export function copyLayers(layers: readonly KanLayer[]): KanLayer[] {
  return layers.map((l) => ({ ...l, knots: l.knots.slice(), mask: l.mask.slice(), symMask: l.symMask.slice(), symFns: l.symFns.slice(), domain: l.domain?.slice() ?? null }));
}

/**
 * lambda * (lambCoef * sum_e mean|coef_e| + lambCoefDiff * sum_e mean|diff coef_e|) over active numeric edges; adds its
 * gradient to grad.
 */
export function coefficientRegularizer(layers: readonly KanLayer[], p: Float64Array, reg: KanRegularization, grad: Float64Array): number {
  const { lamb, lambCoef, lambCoefDiff } = reg;
  let total = 0;
  for (const layer of layers) {
    const nb = basisCount(layer.G, layer.k);
    for (let e = 0; e < layer.nIn * layer.nOut; e++) {
      if (layer.mask[e] === 0) continue;
      const off = layer.coefOffset + e * nb;
      for (let m = 0; m < nb; m++) {
        const c = p[off + m]!;
        total += (lamb * lambCoef * Math.abs(c)) / nb;
        grad[off + m]! += (lamb * lambCoef * Math.sign(c)) / nb;
      }
      for (let m = 0; m + 1 < nb; m++) {
        const d = p[off + m + 1]! - p[off + m]!;
        const g = (lamb * lambCoefDiff * Math.sign(d)) / (nb - 1);
        total += (lamb * lambCoefDiff * Math.abs(d)) / (nb - 1);
        grad[off + m + 1]! += g;
        grad[off + m]! -= g;
      }
    }
  }
  return total;
}

/**
 * The paper's regulariser for one layer from its edge magnitudes a_e = mean_s |phi_e(x_s)|:
 * lamb * (mu1 * sum_e a_e + mu2 * S), S = -sum_e p_e ln p_e, p_e = a_e / sum a. Returns its value and d(value)/d(a_e).
 */
export function magnitudeRegularizer(a: Float64Array, reg: KanRegularization): { value: number; coef: Float64Array } {
  let total = 0;
  for (let e = 0; e < a.length; e++) total += a[e]!;
  let entropy = 0;
  if (total > 0) {
    for (let e = 0; e < a.length; e++) {
      const p = a[e]! / total;
      if (p > 0) entropy -= p * Math.log(p);
    }
  }
  const coef = new Float64Array(a.length);
  for (let e = 0; e < a.length; e++) {
    const p = total > 0 ? a[e]! / total : 0;
    const dEntropy = p > 0 ? (-Math.log(p) - entropy) / total : 0;
    coef[e] = reg.lamb * (reg.lambL1 + reg.lambEntropy * dEntropy);
  }
  return { value: reg.lamb * (reg.lambL1 * total + reg.lambEntropy * entropy), coef };
}

function rangeOfLayer(range: KanSpec['gridRange'], l: number): [number, number] {
  if (!range) return [-1, 1];
  if (typeof range[0] === 'number') return range as [number, number];
  const perLayer = range as [number, number][];
  const r = perLayer[l];
  if (!r) throw new Error(`gridRange has ${perLayer.length} entries but layer ${l} needs one: give one [lo, hi] per layer or a single pair`);
  return r;
}

export function validateSpec(spec: KanSpec): void {
  const { width, grid, k } = spec;
  if (!Array.isArray(width) || width.length < 2) throw new Error(`KAN width must list at least an input and an output layer, e.g. [2, 5, 1]; got ${JSON.stringify(width)}`);
  width.forEach((w, l) => {
    if (!Number.isInteger(w) || w < 1) throw new Error(`KAN width[${l}] must be a positive integer; got ${w}`);
  });
  if (!Number.isInteger(grid) || grid < 1) throw new Error(`KAN grid must be a positive integer number of intervals; got ${grid}`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`KAN spline order k must be an integer >= 1; got ${k}`);
  for (let l = 0; l + 1 < width.length; l++) {
    const [lo, hi] = rangeOfLayer(spec.gridRange, l);
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`gridRange of layer ${l} must be [lo, hi] with lo < hi; got [${lo}, ${hi}]`);
  }
}
