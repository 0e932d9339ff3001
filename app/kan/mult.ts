/**
 * A KAN with multiplication nodes (pykan's MultKAN, mult_arity 2): ordinary KAN layers over one flat parameter vector,
 * where a node layer of nSum sum nodes and nMult product nodes is fed by nSum + 2 * nMult subnodes; the first nSum
 * subnodes pass through and product node m is subnode[nSum + 2m] * subnode[nSum + 2m + 1].
 *
 * Shapes: node layer l has nodes_l = nSum_l + nMult_l values; edge layer l maps nodes_l to subnodes_{l+1} =
 * nSum_{l+1} + 2 * nMult_{l+1}. The parameters of edge layer l follow those of layer l - 1, each in the layout of
 * layer.ts. The regulariser acts on the edges (as in Kan and pykan), so it carries over unchanged. fit() trains it on
 * this reference TypeScript path (the app/compute backends are Kan-only), with Kan's regulariser options and its grid
 * schedule through updateGrid.
 */
import { predictionLoss } from '../train/loss';
import type { Batch, DifferentiableModel, Task } from '../train/types';
import type { Rng } from '../util/rng';
import { clearDomains, predictLayer } from './domain';
import { DEFAULT_GRID_MARGIN, updateLayerGrid } from './grid';
import { type KanLayer, LayerCache, assignOffsets, layerBackward, layerForward } from './layer';
import { Kan, type KanRegularization, type KanSpec, NO_REGULARIZATION, coefficientRegularizer, copyLayers, magnitudeRegularizer, parametersInUse, validateSpec } from './model';

/** A node layer: n sum nodes, or [nSum, nMult]. */
export type MultKanNodeWidth = number | [number, number];

export interface MultKanSpec extends Omit<KanSpec, 'width'> {
  /** Node layers, inputs first: [4, [0, 2], 1] has two product nodes in its hidden layer. The input layer only sums. */
  width: MultKanNodeWidth[];
}

/** Per-layer buffers reused across lossAndGrad calls. */
interface MultWorkspace {
  n: number;
  caches: LayerCache[];
  /** subnodes[l]: outputs of edge layer l [n][subnodes_{l+1}]. */
  subnodes: Float64Array[];
  /** nodes[l]: node values of layer l + 1 [n][nodes_{l+1}]; the subnode buffer itself where the layer has no products. */
  nodes: Float64Array[];
  /** subnodeGrads[l]: d(objective)/d(subnodes[l]); the node gradient itself where the layer has no products. */
  subnodeGrads: Float64Array[];
  /** nodeGrads[l]: d(objective)/d(nodes[l]) [n][nodes_{l+1}]; the last is the output gradient. */
  nodeGrads: Float64Array[];
  edgeAbs: Float64Array[];
}

export class MultKan implements DifferentiableModel {
  layers: KanLayer[];
  params: Float64Array;
  /** multCounts[l]: product nodes of node layer l (0 for the inputs). */
  readonly multCounts: readonly number[];
  regularization: KanRegularization = { ...NO_REGULARIZATION };
  private workspace: MultWorkspace | null = null;

  constructor(layers: KanLayer[], params: Float64Array, multCounts: readonly number[]) {
    if (multCounts.length !== layers.length + 1) throw new Error(`MultKan: ${multCounts.length} product counts given for ${layers.length + 1} node layers`);
    if (multCounts[0] !== 0) throw new Error('MultKan: the input layer cannot have product nodes');
    layers.forEach((layer, l) => {
      const next = layers[l + 1];
      const nodes = layer.nOut - multCounts[l + 1]!;
      if (multCounts[l + 1]! < 0 || nodes < multCounts[l + 1]!) throw new Error(`MultKan: edge layer ${l} has ${layer.nOut} outputs, too few for ${multCounts[l + 1]} product nodes`);
      if (next && next.nIn !== nodes) throw new Error(`MultKan: edge layer ${l + 1} takes ${next.nIn} inputs but node layer ${l + 1} has ${nodes} nodes`);
    });
    this.layers = layers;
    let offset = 0;
    for (const layer of layers) offset = assignOffsets(layer, offset);
    if (params.length !== offset) throw new Error(`MultKan parameter vector has ${params.length} entries, its layers need ${offset}`);
    this.params = params;
    this.multCounts = multCounts.slice();
  }

  /** Initialised as Kan.create would initialise each edge layer on its own (same grid range, noise and base scales). */
  static create(spec: MultKanSpec, rng: Rng): MultKan {
    const { sums, mults } = parseWidth(spec.width);
    const subnodes = sums.map((s, l) => s + 2 * mults[l]!);
    const nodes = sums.map((s, l) => s + mults[l]!);
    validateSpec({ ...spec, width: subnodes });
    const layers: KanLayer[] = [];
    const parts: Float64Array[] = [];
    for (let l = 0; l + 1 < nodes.length; l++) {
      const gridRange = spec.gridRange === undefined || typeof spec.gridRange[0] === 'number' ? spec.gridRange : [(spec.gridRange as [number, number][])[l]!];
      const single = Kan.create({ ...spec, width: [nodes[l]!, subnodes[l + 1]!], gridRange }, rng);
      layers.push(single.layers[0]!);
      parts.push(single.params);
    }
    const params = new Float64Array(parts.reduce((total, p) => total + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      params.set(p, offset);
      offset += p.length;
    }
    return new MultKan(layers, params, mults);
  }

  get nIn(): number {
    return this.layers[0]!.nIn;
  }

  get nOut(): number {
    return this.nodeCount(this.layers.length);
  }

  /** Node layers as in the spec: a plain count where a layer has no product nodes, else [nSum, nMult]. */
  get width(): MultKanNodeWidth[] {
    return this.multCounts.map((m, l) => {
      const sums = l === 0 ? this.nIn : this.layers[l - 1]!.nOut - 2 * m;
      return m === 0 ? sums : [sums, m];
    });
  }

  /** Values in node layer l (sum and product nodes). */
  nodeCount(l: number): number {
    return l === 0 ? this.nIn : this.layers[l - 1]!.nOut - this.multCounts[l]!;
  }

  forward(x: Float64Array, n: number): Float64Array {
    const acts = this.activations(x, n);
    return acts[acts.length - 1]!;
  }

  /**
   * Node values of every layer, products taken: acts[0] = x [n][n0], acts[l] [n][nodes_l] (the input of edge layer l),
   * acts[L] = output. Symbolic edge fitting samples edge layer l on acts[l], as for a Kan.
   */
  activations(x: Float64Array, n: number): Float64Array[] {
    const acts = [x];
    let cur = x;
    this.layers.forEach((layer, l) => {
      const sub = new Float64Array(n * layer.nOut);
      predictLayer(layer, this.params, cur, n, sub);
      cur = this.multCounts[l + 1] === 0 ? sub : multiplyInto(sub, n, layer.nOut, this.multCounts[l + 1]!, new Float64Array(n * this.nodeCount(l + 1)));
      acts.push(cur);
    });
    return acts;
  }

  /**
   * Moves the knots of every layer fed by sum nodes only to its input node values on x (each layer after the ones
   * before it), as updateGridFromSamples does for a Kan. A layer with product nodes among its inputs keeps its knots
   * (all of them): a product's range
   * grows as its two factors' ranges multiply, so a grid fitted to it early is outgrown within a step, and samples past
   * the grid keep only the base branch. On m*(v^2 + u^2)/2, [3, [0, 1], 1], 60 L-BFGS steps, seeds 1 to 4, train RMSE
   * (target standard deviations) was 0.25 to 0.51 updating that layer with the default margin, 0.0006 to 0.42 with
   * margin 0.25 to 1, and 0.0010 to 0.0059 keeping its grid; on x1*x2 + x3*x4 keeping it changed little (0.0021 to
   * 0.014 against 0.0014 to 0.005 over 6 seeds).
   */
  updateGrid(x: Float64Array, n: number, gridEps = 0.02, margin = DEFAULT_GRID_MARGIN): void {
    clearDomains(this.layers);
    let cur = x;
    this.layers.forEach((layer, l) => {
      if (this.multCounts[l] === 0) updateLayerGrid(this.params, layer, cur, n, gridEps, margin);
      if (l + 1 < this.layers.length) {
        const sub = new Float64Array(n * layer.nOut);
        layerForward(layer, this.params, cur, n, sub, null, null);
        cur = this.multCounts[l + 1] === 0 ? sub : multiplyInto(sub, n, layer.nOut, this.multCounts[l + 1]!, new Float64Array(n * this.nodeCount(l + 1)));
      }
    });
  }

  lossAndGrad(batch: Batch, task: Task, grad: Float64Array): { objective: number; loss: number } {
    const { x, y, n } = batch;
    const reg = this.regularization;
    const useActReg = reg.lamb > 0 && (reg.lambL1 !== 0 || reg.lambEntropy !== 0);
    const layers = this.layers;
    const work = this.workspaceFor(n);
    let cur = x;
    layers.forEach((layer, l) => {
      const abs = useActReg ? work.edgeAbs[l]! : null;
      if (abs) abs.fill(0);
      layerForward(layer, this.params, cur, n, work.subnodes[l]!, work.caches[l]!, abs, l === 0);
      const mults = this.multCounts[l + 1]!;
      if (mults > 0) multiplyInto(work.subnodes[l]!, n, layer.nOut, mults, work.nodes[l]!);
      cur = work.nodes[l]!;
    });
    const outputGrad = work.nodeGrads[layers.length - 1]!;
    const loss = predictionLoss(task, cur, y, n, this.nOut, outputGrad);
    grad.fill(0);
    let objective = loss;
    const regCoefs = layers.map((_, l) => {
      if (!useActReg) return null;
      const abs = work.edgeAbs[l]!;
      for (let e = 0; e < abs.length; e++) abs[e]! /= n;
      const { value, coef } = magnitudeRegularizer(abs, reg);
      objective += value;
      return coef;
    });
    if (reg.lamb > 0 && (reg.lambCoef !== 0 || reg.lambCoefDiff !== 0)) objective += coefficientRegularizer(layers, this.params, reg, grad);
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const mults = this.multCounts[l + 1]!;
      if (mults > 0) productBackward(work.subnodes[l]!, work.nodeGrads[l]!, n, layer.nOut, mults, work.subnodeGrads[l]!);
      layerBackward(layer, this.params, work.caches[l]!, work.subnodeGrads[l]!, regCoefs[l]!, grad, l > 0 ? work.nodeGrads[l - 1]! : null);
    }
    return { objective, loss };
  }

  /** The buffers of lossAndGrad for batches of n samples, rebuilt only when n or a layer's shape changes. */
  private workspaceFor(n: number): MultWorkspace {
    const layers = this.layers;
    const w = this.workspace;
    const fits = w !== null && w.n === n && w.caches.length === layers.length
      && layers.every((layer, l) => w.subnodes[l]!.length === n * layer.nOut && w.edgeAbs[l]!.length === layer.nIn * layer.nOut);
    if (fits) return w;
    const subnodes = layers.map((layer) => new Float64Array(n * layer.nOut));
    const nodeGrads = layers.map((_, l) => new Float64Array(n * this.nodeCount(l + 1)));
    const hasProducts = (l: number): boolean => this.multCounts[l + 1]! > 0;
    this.workspace = {
      n,
      caches: layers.map((_, l) => w?.caches[l] ?? new LayerCache()),
      subnodes,
      nodes: layers.map((_, l) => (hasProducts(l) ? new Float64Array(n * this.nodeCount(l + 1)) : subnodes[l]!)),
      subnodeGrads: layers.map((layer, l) => (hasProducts(l) ? new Float64Array(n * layer.nOut) : nodeGrads[l]!)),
      nodeGrads,
      edgeAbs: layers.map((layer) => new Float64Array(layer.nIn * layer.nOut)),
    };
    return this.workspace;
  }

  /** Parameters in use: G + k + 2 per active numeric edge, 4 per symbolic edge (as Kan counts them). */
  parameterCount(): number {
    return parametersInUse(this.layers);
  }

  clone(): MultKan {
    const copy = new MultKan(copyLayers(this.layers), this.params.slice(), this.multCounts);
    copy.regularization = { ...this.regularization };
    return copy;
  }
}

/** Sum and product counts per node layer from a width spec; a user error names the entry that is wrong. */
function parseWidth(width: readonly MultKanNodeWidth[]): { sums: number[]; mults: number[] } {
  if (!Array.isArray(width) || width.length < 2) throw new Error(`MultKan width must list at least an input and an output layer, e.g. [4, [0, 2], 1]; got ${JSON.stringify(width)}`);
  const sums: number[] = [];
  const mults: number[] = [];
  width.forEach((w, l) => {
    const [s, m] = typeof w === 'number' ? [w, 0] : w;
    const valid = Number.isInteger(s) && Number.isInteger(m) && s >= 0 && m >= 0 && s + m >= 1 && (typeof w === 'number' || w.length === 2);
    if (!valid) throw new Error(`MultKan width[${l}] must be a positive integer or [sum nodes, product nodes] with at least one node; got ${JSON.stringify(w)}`);
    if (l === 0 && m > 0) throw new Error(`MultKan width[0] is the input layer, which cannot have product nodes; got ${JSON.stringify(w)}`);
    sums.push(s);
    mults.push(m);
  });
  return { sums, mults };
}

/** nodes [n][nSum + mults] from sub [n][nSub]: the first nSum = nSub - 2 * mults copied, then products of consecutive pairs. */
function multiplyInto(sub: Float64Array, n: number, nSub: number, mults: number, nodes: Float64Array): Float64Array {
  const nSum = nSub - 2 * mults;
  const nNodes = nSum + mults;
  for (let s = 0; s < n; s++) {
    const from = s * nSub;
    const to = s * nNodes;
    for (let j = 0; j < nSum; j++) nodes[to + j] = sub[from + j]!;
    for (let m = 0; m < mults; m++) nodes[to + nSum + m] = sub[from + nSum + 2 * m]! * sub[from + nSum + 2 * m + 1]!;
  }
  return nodes;
}

/** gSub [n][nSub] from the node gradient gNodes: sums pass it through, a product sends each factor g * the other factor. */
function productBackward(sub: Float64Array, gNodes: Float64Array, n: number, nSub: number, mults: number, gSub: Float64Array): void {
  const nSum = nSub - 2 * mults;
  const nNodes = nSum + mults;
  for (let s = 0; s < n; s++) {
    const from = s * nNodes;
    const to = s * nSub;
    for (let j = 0; j < nSum; j++) gSub[to + j] = gNodes[from + j]!;
    for (let m = 0; m < mults; m++) {
      const g = gNodes[from + nSum + m]!;
      const a = to + nSum + 2 * m;
      gSub[a] = g * sub[a + 1]!;
      gSub[a + 1] = g * sub[a]!;
    }
  }
}
