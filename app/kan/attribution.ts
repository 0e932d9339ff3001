/**
 * Attribution scores of a KAN's edges and nodes from data, as pykan 0.2's `attribute()`: importance flows back from the
 * outputs through the spread of what each edge adds to its target node.
 *
 * With E[l][i][j] the standard deviation over the samples of edge (i -> j) of layer l (what it adds to node j: masked
 * numeric branch plus symbolic branch) and sigma[l+1][j] the standard deviation of node j of node layer l+1:
 *   edge score   A[l][i][j] = E[l][i][j] * N[l+1][j] / (sigma[l+1][j] + 1e-4)
 *   node score   N[l][i]    = sum_j A[l][i][j]          (the sum of the node's outgoing edges)
 * starting from N[L][k] = 1 for one output k. Without a chosen output the scores are the mean over the outputs of the
 * per-output scores (pykan's mean over its identity start), i.e. every output node starts at 1 / nOut. The 1e-4 keeps a
 * constant node from dividing by zero. Standard deviations are the unbiased ones (as torch.std); the choice cancels
 * between E and sigma except in that guard. The scores of the input nodes N[0] are the input feature importances.
 */
import { column, evaluateEdgesFrom } from './edges';
import type { Kan } from './model';

export interface Attribution {
  /** edge[l] [nIn][nOut]: score of edge (i -> j) of layer l (same layout as the layer masks). */
  edge: Float64Array[];
  /** node[l] [n_l]: score of node i of node layer l; node[0] are the input features, node[L] the outputs. */
  node: Float64Array[];
  /** edgeSpread[l] [nIn][nOut]: standard deviation over the samples of the edge's contribution to its target node. */
  edgeSpread: Float64Array[];
  /** nodeSpread[l] [n_l]: standard deviation over the samples of node values of node layer l (l = 0: the inputs). */
  nodeSpread: Float64Array[];
}

export interface AttributionOptions {
  /** Attribute to this output only (score 1 on it); default: the mean over all outputs. */
  output?: number;
}

/** Scores of every edge and node of kan on the samples x [n][nIn]. */
export function attribute(kan: Kan, x: Float64Array, n: number, options: AttributionOptions = {}): Attribution {
  if (n < 2) throw new Error(`attribution needs at least 2 samples to measure spreads; got ${n}`);
  const { output } = options;
  if (output !== undefined && !(Number.isInteger(output) && output >= 0 && output < kan.nOut)) {
    throw new Error(`attribution: output ${output} does not exist; the model has outputs 0..${kan.nOut - 1}`);
  }
  const acts = kan.activations(x, n);
  const widths = kan.width;
  const nodeSpread = acts.map((a, l) => {
    const w = widths[l]!;
    const spread = new Float64Array(w);
    for (let i = 0; i < w; i++) spread[i] = standardDeviation(column(a, n, w, i));
    return spread;
  });
  const edgeSpread = kan.layers.map((layer, l) => {
    const spread = new Float64Array(layer.nIn * layer.nOut);
    const values = new Float64Array(n * layer.nOut);
    for (let i = 0; i < layer.nIn; i++) {
      evaluateEdgesFrom(layer, kan.params, i, column(acts[l]!, n, layer.nIn, i), 'active', values);
      for (let j = 0; j < layer.nOut; j++) spread[i * layer.nOut + j] = standardDeviation(column(values, n, layer.nOut, j));
    }
    return spread;
  });
  const L = kan.layers.length;
  const node: Float64Array[] = new Array<Float64Array>(L + 1);
  const edge: Float64Array[] = new Array<Float64Array>(L);
  const outputScores = new Float64Array(kan.nOut);
  if (output === undefined) outputScores.fill(1 / kan.nOut);
  else outputScores[output] = 1;
  node[L] = outputScores;
  for (let l = L - 1; l >= 0; l--) {
    const { nIn, nOut } = kan.layers[l]!;
    const target = node[l + 1]!;
    const targetSpread = nodeSpread[l + 1]!;
    const scores = new Float64Array(nIn * nOut);
    const source = new Float64Array(nIn);
    for (let i = 0; i < nIn; i++) {
      for (let j = 0; j < nOut; j++) {
        const e = i * nOut + j;
        scores[e] = (edgeSpread[l]![e]! * target[j]!) / (targetSpread[j]! + 1e-4);
        source[i]! += scores[e]!;
      }
    }
    edge[l] = scores;
    node[l] = source;
  }
  return { edge, node, edgeSpread, nodeSpread };
}

/** Unbiased standard deviation of v (0 for fewer than 2 values). */
export function standardDeviation(v: Float64Array): number {
  const n = v.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let s = 0; s < n; s++) mean += v[s]!;
  mean /= n;
  let squares = 0;
  for (let s = 0; s < n; s++) {
    const d = v[s]! - mean;
    squares += d * d;
  }
  return Math.sqrt(squares / (n - 1));
}
