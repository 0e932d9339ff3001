/**
 * Model inspection operations of the API: the network with every edge's activation curve and attribution score, one
 * edge in detail, and what pruning would remove, all computed on a stored step's models.
 */
import type { ParsedRequestOf, ResponseOf } from '../../app/api/contract';
import { attribute, type Attribution } from '../../app/kan/attribution';
import { column, evaluateEdgesFrom } from '../../app/kan/edges';
import type { Kan } from '../../app/kan/model';
import { previewPrune } from '../../app/kan/prune';
import { badRequest } from './errors';
import type { InspectedModel, ModelStates } from './model-states';

type EdgeView = ResponseOf<'model.edge'>;

export class ModelService {
  constructor(private readonly states: ModelStates) {}

  network(request: ParsedRequestOf<'model.network'>): ResponseOf<'model.network'> {
    const model = this.states.get(request.runId, request.step);
    const { state } = model;
    const attribution = attributionOf(model);
    const edges: EdgeView[] = [];
    state.kan.layers.forEach((layer, l) => {
      for (let i = 0; i < layer.nIn; i++) edges.push(...edgesFrom(model, attribution, l, i, request.points, request.dataPoints));
    });
    return {
      runId: model.run.id,
      step: model.step.idx,
      width: state.kan.width,
      inputNames: state.data.inputNames,
      outputNames: state.data.classes ?? state.data.targetNames,
      nodeScores: attribution.node.map((scores) => Array.from(scores)),
      edges,
      params: state.kan.parameterCount(),
      task: state.data.task,
    };
  }

  edge(request: ParsedRequestOf<'model.edge'>): ResponseOf<'model.edge'> {
    const model = this.states.get(request.runId, request.step);
    checkEdge(model.state.kan, request);
    const views = edgesFrom(model, attributionOf(model), request.layer, request.input, request.points, request.dataPoints);
    return views[request.output]!;
  }

  prunePreview(request: ParsedRequestOf<'prune.preview'>): ResponseOf<'prune.preview'> {
    const model = this.states.get(request.runId, request.step);
    const plan = previewPrune(model.state.kan, model.sample.x, model.sample.n, {
      nodeThreshold: request.nodeThreshold, edgeThreshold: request.edgeThreshold,
    });
    const { attribution } = plan;
    const layers = model.state.kan.layers;
    return {
      nodes: plan.removedNodes.map((node) => ({ ...node, score: attribution.node[node.layer]![node.index]! })),
      edges: plan.maskedEdges.map((edge) => ({
        ...edge, score: attribution.edge[edge.layer]![edge.input * layers[edge.layer]!.nOut + edge.output]!,
      })),
    };
  }
}

function attributionOf(model: InspectedModel): Attribution {
  if (model.sample.n < 2) badRequest('the run has fewer than 2 training rows, too few to score edges.');
  return attribute(model.state.kan, model.sample.x, model.sample.n);
}

export function checkEdge(kan: Kan, ref: { layer: number; input: number; output: number }): void {
  const layers = kan.layers;
  if (ref.layer >= layers.length) badRequest(`layer ${ref.layer} does not exist; the KAN has layers 0..${layers.length - 1}.`, 'layer');
  const layer = layers[ref.layer]!;
  if (ref.input >= layer.nIn) badRequest(`layer ${ref.layer} has inputs 0..${layer.nIn - 1}; got input ${ref.input}.`, 'input');
  if (ref.output >= layer.nOut) badRequest(`layer ${ref.layer} has outputs 0..${layer.nOut - 1}; got output ${ref.output}.`, 'output');
}

/** The range of an input node on the sample, widened a little when the node is (nearly) constant so a curve can be drawn. */
export function nodeRange(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  if (hi - lo < 1e-9) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

export function linspace(lo: number, hi: number, points: number): Float64Array {
  const out = new Float64Array(points);
  for (let p = 0; p < points; p++) out[p] = lo + ((hi - lo) * p) / (points - 1);
  return out;
}

/** Views of the edges (l, i, 0..nOut-1): each input node's edges share its range, so they are evaluated together. */
function edgesFrom(model: InspectedModel, attribution: Attribution, l: number, i: number, points: number, dataPoints: number): EdgeView[] {
  const kan = model.state.kan;
  const layer = kan.layers[l]!;
  const { nOut } = layer;
  const inputs = column(model.acts[l]!, model.sample.n, layer.nIn, i);
  const [lo, hi] = nodeRange(inputs);
  const curveX = linspace(lo, hi, points);
  const curve = evaluateEdgesFrom(layer, kan.params, i, curveX, 'active');
  const dataX = strideValues(inputs, dataPoints);
  const data = evaluateEdgesFrom(layer, kan.params, i, dataX, 'active');
  const views: EdgeView[] = [];
  for (let j = 0; j < nOut; j++) {
    const e = i * nOut + j;
    const fn = layer.symFns[e];
    const symbolic = layer.symMask[e] !== 0 && fn;
    const p = layer.symOffset + 4 * e;
    views.push({
      layer: l, input: i, output: j,
      kind: symbolic ? 'symbolic' : layer.mask[e] !== 0 ? 'numeric' : 'pruned',
      symbolic: symbolic ? { name: fn.name, a: kan.params[p]!, b: kan.params[p + 1]!, c: kan.params[p + 2]!, d: kan.params[p + 3]! } : null,
      importance: attribution.edge[l]![e]!,
      curveX: Array.from(curveX),
      curveY: Array.from(column(curve, points, nOut, j)),
      dataX: Array.from(dataX),
      dataY: Array.from(column(data, dataX.length, nOut, j)),
    });
  }
  return views;
}

/** At most count values of v, evenly strided. */
function strideValues(v: Float64Array, count: number): Float64Array {
  if (v.length <= count) return v;
  const out = new Float64Array(count);
  const stride = v.length / count;
  for (let q = 0; q < count; q++) out[q] = v[Math.floor(q * stride)]!;
  return out;
}
