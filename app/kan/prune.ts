/**
 * Pruning: hidden nodes whose attribution score is at or under a threshold are removed physically (the layers around
 * them shrink), then edges at or under an edge threshold are masked, as pykan's `prune()`; nodes and edges can also be
 * pruned by name. Every function returns a new model and leaves its argument untouched.
 *
 * Names: node "l.i" is node i of node layer l (0 = inputs, L = outputs; only hidden layers 1..L-1 can lose nodes);
 * edge "l.i.j" is the edge from node i of node layer l to node j of node layer l + 1 (layer l's edge e = i * nOut + j).
 */
import { attribute, type Attribution } from './attribution';
import { basisCount, paddedKnotCount } from './bspline';
import { isEdgeActive } from './edges';
import { type KanLayer, emptyLayer, layerParamLength } from './layer';
import { Kan } from './model';

export interface NodeRef {
  layer: number;
  index: number;
}

export interface EdgeRef {
  layer: number;
  input: number;
  output: number;
}

export interface PruneOptions {
  /** Hidden nodes scoring at or under this are removed; default 1e-2 (pykan's node_th). */
  nodeThreshold?: number;
  /** Edges scoring at or under this (after node removal) are masked; default 3e-2 (pykan's edge_th). */
  edgeThreshold?: number;
}

export interface PrunePlan {
  /** Hidden nodes that go, in the numbering of the model before pruning. */
  removedNodes: NodeRef[];
  /** Edges between kept nodes that get masked, numbered as before pruning. */
  maskedEdges: EdgeRef[];
  /** keptNodes[l]: the nodes of node layer l that stay, as indices before pruning (their order in the new model). */
  keptNodes: number[][];
  /** Widths after pruning. */
  width: number[];
  /** Scores of the model before pruning, on the same samples. */
  attribution: Attribution;
}

export interface PruneResult extends PrunePlan {
  kan: Kan;
}

export const nodeName = (r: NodeRef): string => `${r.layer}.${r.index}`;
export const edgeName = (r: EdgeRef): string => `${r.layer}.${r.input}.${r.output}`;

/** "1.3" -> node 3 of node layer 1; throws with the expected form on anything else. */
export function parseNodeName(name: string): NodeRef {
  const m = /^(\d+)\.(\d+)$/.exec(name.trim());
  if (!m) throw new Error(`"${name}" is not a node name; a node is named "layer.index", e.g. "1.3"`);
  return { layer: Number(m[1]), index: Number(m[2]) };
}

/** "0.1.2" -> edge from input 1 to output 2 of layer 0. */
export function parseEdgeName(name: string): EdgeRef {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(name.trim());
  if (!m) throw new Error(`"${name}" is not an edge name; an edge is named "layer.input.output", e.g. "0.1.2"`);
  return { layer: Number(m[1]), input: Number(m[2]), output: Number(m[3]) };
}

/** What prune() would do with these thresholds on the samples x [n][nIn], without changing the model. */
export function previewPrune(kan: Kan, x: Float64Array, n: number, options: PruneOptions = {}): PrunePlan {
  const { kan: _pruned, ...plan } = prune(kan, x, n, options);
  return plan;
}

/**
 * pykan's prune(): removes hidden nodes scoring <= nodeThreshold (a hidden layer keeps at least its best node), then
 * masks edges scoring <= edgeThreshold in the smaller model (scores recomputed there), then removes hidden nodes left
 * with no active outgoing edge (they no longer affect any output, so this changes nothing).
 */
export function prune(kan: Kan, x: Float64Array, n: number, options: PruneOptions = {}): PruneResult {
  const nodeThreshold = options.nodeThreshold ?? 1e-2;
  const edgeThreshold = options.edgeThreshold ?? 3e-2;
  checkThreshold('nodeThreshold', nodeThreshold);
  checkThreshold('edgeThreshold', edgeThreshold);
  const attribution = attribute(kan, x, n);
  const widths = kan.width;
  const L = kan.layers.length;
  const kept = widths.map((w, l) => {
    const all = range(w);
    if (l === 0 || l === L) return all;
    const scores = attribution.node[l]!;
    const keep = all.filter((i) => scores[i]! > nodeThreshold);
    return keep.length > 0 ? keep : [argMax(scores)];
  });
  const smaller = keepNodes(kan, kept);
  const smallerScores = attribute(smaller, x, n);
  const masked: EdgeRef[] = [];
  smaller.layers.forEach((layer, l) => {
    for (let e = 0; e < layer.nIn * layer.nOut; e++) {
      if (!isEdgeActive(layer, e) || smallerScores.edge[l]![e]! > edgeThreshold) continue;
      layer.mask[e] = 0;
      layer.symMask[e] = 0;
      masked.push({ layer: l, input: kept[l]![Math.floor(e / layer.nOut)]!, output: kept[l + 1]![e % layer.nOut]! });
    }
  });
  const alive = liveNodes(smaller);
  const finalKept = kept.map((nodes, l) => alive[l]!.map((i) => nodes[i]!));
  const result = keepNodes(smaller, alive);
  const maskedEdges = masked.filter((r) => finalKept[r.layer]!.includes(r.input) && finalKept[r.layer + 1]!.includes(r.output));
  return {
    kan: result,
    removedNodes: removedOf(widths, finalKept),
    maskedEdges,
    keptNodes: finalKept,
    width: result.width,
    attribution,
  };
}

/** Removes the named hidden nodes (with every edge into and out of them). */
export function pruneNodes(kan: Kan, nodes: NodeRef[]): { kan: Kan; keptNodes: number[][] } {
  const widths = kan.width;
  const L = kan.layers.length;
  for (const r of nodes) {
    if (!(r.layer >= 1 && r.layer < L)) throw new Error(`cannot prune node ${nodeName(r)}: only hidden nodes (node layers 1..${L - 1}) can be removed; inputs and outputs stay`);
    if (!(r.index >= 0 && r.index < widths[r.layer]!)) throw new Error(`cannot prune node ${nodeName(r)}: node layer ${r.layer} has nodes 0..${widths[r.layer]! - 1}`);
  }
  const kept = widths.map((w, l) => range(w).filter((i) => !nodes.some((r) => r.layer === l && r.index === i)));
  kept.forEach((k, l) => {
    if (k.length === 0) throw new Error(`cannot prune every node of hidden layer ${l}: keep at least one`);
  });
  return { kan: keepNodes(kan, kept), keptNodes: kept };
}

/** Masks the named edges (numeric and symbolic branch). */
export function pruneEdges(kan: Kan, edges: EdgeRef[]): Kan {
  const copy = kan.clone();
  for (const r of edges) {
    const layer = copy.layers[r.layer];
    if (!layer) throw new Error(`cannot prune edge ${edgeName(r)}: the model has edge layers 0..${copy.layers.length - 1}`);
    if (!(r.input >= 0 && r.input < layer.nIn && r.output >= 0 && r.output < layer.nOut)) {
      throw new Error(`cannot prune edge ${edgeName(r)}: layer ${r.layer} connects inputs 0..${layer.nIn - 1} to outputs 0..${layer.nOut - 1}`);
    }
    const e = r.input * layer.nOut + r.output;
    layer.mask[e] = 0;
    layer.symMask[e] = 0;
  }
  return copy;
}

/**
 * A new model with only the listed nodes (keep[l]: indices of node layer l, increasing): each kept edge keeps its
 * knots, coefficients, weights, symbolic function and (a, b, c, d), so the kept part computes exactly as before.
 */
export function keepNodes(kan: Kan, keep: number[][]): Kan {
  const layers: KanLayer[] = kan.layers.map((old, l) => {
    const ins = keep[l]!;
    const outs = keep[l + 1]!;
    const layer = emptyLayer(ins.length, outs.length, old.G, old.k, old.base);
    const knotLen = paddedKnotCount(old.G, old.k);
    const oldDomain = old.domain;
    if (oldDomain !== null) layer.domain = Float64Array.from(ins.flatMap((i) => [oldDomain[2 * i]!, oldDomain[2 * i + 1]!]));
    ins.forEach((i, ni) => {
      layer.knots.set(old.knots.subarray(i * knotLen, (i + 1) * knotLen), ni * knotLen);
      outs.forEach((j, nj) => {
        const e = i * old.nOut + j;
        const ne = ni * outs.length + nj;
        layer.mask[ne] = old.mask[e]!;
        layer.symMask[ne] = old.symMask[e]!;
        layer.symFns[ne] = old.symFns[e] ?? null;
      });
    });
    return layer;
  });
  const total = layers.reduce((sum, layer) => sum + layerParamLength(layer.nIn, layer.nOut, layer.G, layer.k), 0);
  const result = new Kan(layers, new Float64Array(total));
  const src = kan.params;
  const dst = result.params;
  kan.layers.forEach((old, l) => {
    const layer = layers[l]!;
    const nb = basisCount(old.G, old.k);
    keep[l]!.forEach((i, ni) => {
      keep[l + 1]!.forEach((j, nj) => {
        const e = i * old.nOut + j;
        const ne = ni * layer.nOut + nj;
        dst.set(src.subarray(old.coefOffset + e * nb, old.coefOffset + (e + 1) * nb), layer.coefOffset + ne * nb);
        dst[layer.wbOffset + ne] = src[old.wbOffset + e]!;
        dst[layer.wsOffset + ne] = src[old.wsOffset + e]!;
        dst.set(src.subarray(old.symOffset + 4 * e, old.symOffset + 4 * e + 4), layer.symOffset + 4 * ne);
      });
    });
  });
  result.regularization = { ...kan.regularization };
  return result;
}

/**
 * Per node layer, the nodes that still reach an output: a hidden node with no active outgoing edge to a live node is
 * dead (checked from the last hidden layer down). A layer whose nodes are all dead keeps its first node.
 */
function liveNodes(kan: Kan): number[][] {
  const widths = kan.width;
  const L = kan.layers.length;
  const live: number[][] = widths.map((w) => range(w));
  for (let l = L - 1; l >= 1; l--) {
    const layer = kan.layers[l]!;
    const next = live[l + 1]!;
    const alive = range(widths[l]!).filter((i) => next.some((j) => isEdgeActive(layer, i * layer.nOut + j)));
    live[l] = alive.length > 0 ? alive : [0];
  }
  return live;
}

function removedOf(widths: number[], kept: number[][]): NodeRef[] {
  const removed: NodeRef[] = [];
  widths.forEach((w, l) => {
    for (let i = 0; i < w; i++) if (!kept[l]!.includes(i)) removed.push({ layer: l, index: i });
  });
  return removed;
}

function checkThreshold(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) throw new Error(`prune: ${name} must be a finite number >= 0; got ${value}`);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function argMax(v: Float64Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
