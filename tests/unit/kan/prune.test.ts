import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { attribute, standardDeviation } from '../../../app/kan/attribution';
import { keepNodes, previewPrune, prune, pruneEdges, pruneNodes } from '../../../app/kan/prune';
import { basisCount } from '../../../app/kan/bspline';
import { layerForward, type SymbolicFunction } from '../../../app/kan/layer';
import { fit } from '../../../app/train/fit';
import { Rng } from '../../../app/util/rng';
import type { Batch } from '../../../app/train/types';

function inputs(n: number, nIn: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n * nIn).map(() => rng.range(-1, 1));
}

/** Switches edge e of layer l off by zeroing its numeric branch (it then outputs exactly 0 but stays unmasked). */
function silence(kan: Kan, l: number, e: number): void {
  const layer = kan.layers[l]!;
  const nb = basisCount(layer.G, layer.k);
  kan.params.fill(0, layer.coefOffset + e * nb, layer.coefOffset + (e + 1) * nb);
  kan.params[layer.wbOffset + e] = 0;
  kan.params[layer.wsOffset + e] = 0;
}

function gradientError(kan: Kan, batch: Batch): number {
  const grad = new Float64Array(kan.params.length);
  kan.lossAndGrad(batch, 'regression', grad);
  const scratch = new Float64Array(kan.params.length);
  let worst = 0;
  for (let i = 0; i < kan.params.length; i++) {
    const orig = kan.params[i]!;
    kan.params[i] = orig + 1e-6;
    const up = kan.lossAndGrad(batch, 'regression', scratch).objective;
    kan.params[i] = orig - 1e-6;
    const down = kan.lossAndGrad(batch, 'regression', scratch).objective;
    kan.params[i] = orig;
    const fd = (up - down) / 2e-6;
    worst = Math.max(worst, Math.abs(fd - grad[i]!) / Math.max(1e-3, Math.abs(fd) + Math.abs(grad[i]!)));
  }
  return worst;
}

const sine: SymbolicFunction = { name: 'sin', f: Math.sin, df: Math.cos };

describe('attribution scores', () => {
  it('follow edge score = spread(edge) * score(target) / (spread(target) + 1e-4), node score = sum of outgoing edges', () => {
    const kan = Kan.create({ width: [3, 2, 2], grid: 4, k: 3 }, new Rng(1));
    const rng = new Rng(2);
    for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.3 * rng.normal();
    const n = 400;
    const x = inputs(n, 3, 3);
    const attr = attribute(kan, x, n);
    const acts = kan.activations(x, n);
    // Spreads measured independently: an edge's contribution is the output of a copy with every other edge masked.
    const spreadOf = (l: number, e: number): number => {
      const solo = kan.clone();
      const layer = solo.layers[l]!;
      layer.mask.fill(0);
      layer.mask[e] = 1;
      const out = new Float64Array(n * layer.nOut);
      layerForward(layer, solo.params, acts[l]!, n, out, null, null);
      return standardDeviation(out.filter((_, q) => q % layer.nOut === e % layer.nOut));
    };
    const nodeSpread = (l: number, j: number): number => standardDeviation(acts[l]!.filter((_, q) => q % kan.width[l]! === j));
    expect(Array.from(attr.node[2]!)).toEqual([0.5, 0.5]);
    for (let e = 0; e < 4; e++) {
      const want = (spreadOf(1, e) * 0.5) / (nodeSpread(2, e % 2) + 1e-4);
      expect(attr.edge[1]![e]).toBeCloseTo(want, 10);
    }
    for (let j = 0; j < 2; j++) expect(attr.node[1]![j]).toBeCloseTo(attr.edge[1]![j * 2]! + attr.edge[1]![j * 2 + 1]!, 12);
    for (let e = 0; e < 6; e++) {
      const j = e % 2;
      expect(attr.edge[0]![e]).toBeCloseTo((spreadOf(0, e) * attr.node[1]![j]!) / (nodeSpread(1, j) + 1e-4), 10);
    }
    // Input feature scores are the input nodes' scores; a single output attributes with score 1 on it.
    const only = attribute(kan, x, n, { output: 1 });
    expect(Array.from(only.node[2]!)).toEqual([0, 1]);
    for (let i = 0; i < 3; i++) expect(attr.node[0]![i]).toBeCloseTo(attr.edge[0]![2 * i]! + attr.edge[0]![2 * i + 1]!, 12);
  });

  it('gives an input that no edge uses the score 0', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 3, k: 3 }, new Rng(4));
    for (let j = 0; j < 3; j++) kan.layers[0]!.mask[1 * 3 + j] = 0;
    const attr = attribute(kan, inputs(200, 2, 5), 200);
    expect(attr.node[0]![1]).toBe(0);
    expect(attr.node[0]![0]).toBeGreaterThan(0.1);
  });

  it('rejects a bad output index and a single sample', () => {
    const kan = Kan.create({ width: [1, 2], grid: 3, k: 3 }, new Rng(1));
    expect(() => attribute(kan, inputs(10, 1, 1), 10, { output: 2 })).toThrow(/outputs 0\.\.1/);
    expect(() => attribute(kan, inputs(1, 1, 1), 1)).toThrow(/at least 2 samples/);
  });
});

describe('pruning', () => {
  function withDeadNodes(): Kan {
    const kan = Kan.create({ width: [2, 5, 1], grid: 5, k: 3 }, new Rng(7));
    const rng = new Rng(8);
    for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.2 * rng.normal();
    for (const j of [0, 2, 3]) silence(kan, 1, j); // hidden nodes 0, 2, 3 no longer reach the output
    return kan;
  }

  it('removes hidden nodes that do not reach the output, keeping the function exactly', () => {
    const kan = withDeadNodes();
    const n = 300;
    const x = inputs(n, 2, 9);
    const before = kan.forward(x, n);
    const paramsBefore = kan.params.slice();
    const result = prune(kan, x, n, { nodeThreshold: 1e-2, edgeThreshold: 0 });
    expect(result.width).toEqual([2, 2, 1]);
    expect(result.removedNodes).toEqual([{ layer: 1, index: 0 }, { layer: 1, index: 2 }, { layer: 1, index: 3 }]);
    expect(result.keptNodes).toEqual([[0, 1], [1, 4], [0]]);
    const after = result.kan.forward(x, n);
    for (let s = 0; s < n; s++) expect(after[s]).toBeCloseTo(before[s]!, 12);
    expect(result.kan.parameterCount()).toBe((2 * 2 + 2) * (basisCount(5, 3) + 2));
    expect(kan.params).toEqual(paramsBefore); // the argument is left alone
    expect(kan.width).toEqual([2, 5, 1]);
  });

  it('previews exactly what prune does, without changing the model', () => {
    const kan = withDeadNodes();
    const x = inputs(300, 2, 10);
    const snapshot = kan.params.slice();
    const plan = previewPrune(kan, x, 300, { nodeThreshold: 0.05, edgeThreshold: 0.05 });
    const done = prune(kan, x, 300, { nodeThreshold: 0.05, edgeThreshold: 0.05 });
    expect(plan.removedNodes).toEqual(done.removedNodes);
    expect(plan.maskedEdges).toEqual(done.maskedEdges);
    expect(plan.width).toEqual(done.width);
    expect(kan.params).toEqual(snapshot);
    expect('kan' in plan).toBe(false);
  });

  it('masks edges whose score is at or under the edge threshold, numbered as before pruning', () => {
    const kan = Kan.create({ width: [3, 2, 1], grid: 4, k: 3 }, new Rng(12));
    const layer0 = kan.layers[0]!;
    // Edge 0.2.1 becomes nearly flat: a tiny spread, hence a tiny score.
    kan.params[layer0.wbOffset + 5] = 1e-6;
    kan.params[layer0.wsOffset + 5] = 1e-6;
    const x = inputs(300, 3, 13);
    const result = prune(kan, x, 300, { nodeThreshold: 0, edgeThreshold: 1e-3 });
    expect(result.maskedEdges).toEqual([{ layer: 0, input: 2, output: 1 }]);
    expect(result.kan.layers[0]!.mask[5]).toBe(0);
    expect(Array.from(result.kan.layers[0]!.mask).filter((m) => m === 0)).toHaveLength(1);
  });

  it('keeps the best node of a hidden layer whose nodes all fall under the threshold', () => {
    const kan = Kan.create({ width: [1, 3, 1], grid: 3, k: 3 }, new Rng(3));
    const result = prune(kan, inputs(100, 1, 4), 100, { nodeThreshold: 1e9 });
    expect(result.width).toEqual([1, 1, 1]);
  });

  it('prunes named nodes and edges, and says which names are wrong', () => {
    const kan = Kan.create({ width: [2, 4, 2], grid: 3, k: 3 }, new Rng(5));
    const { kan: smaller, keptNodes } = pruneNodes(kan, [{ layer: 1, index: 1 }, { layer: 1, index: 3 }]);
    expect(smaller.width).toEqual([2, 2, 2]);
    expect(keptNodes[1]).toEqual([0, 2]);
    const masked = pruneEdges(smaller, [{ layer: 1, input: 0, output: 1 }]);
    expect(masked.layers[1]!.mask[1]).toBe(0);
    expect(smaller.layers[1]!.mask[1]).toBe(1);
    expect(() => pruneNodes(kan, [{ layer: 0, index: 0 }])).toThrow(/only hidden nodes/);
    expect(() => pruneNodes(kan, [{ layer: 1, index: 9 }])).toThrow(/nodes 0\.\.3/);
    expect(() => pruneNodes(kan, [0, 1, 2, 3].map((index) => ({ layer: 1, index })))).toThrow(/keep at least one/);
    expect(() => pruneEdges(kan, [{ layer: 2, input: 0, output: 0 }])).toThrow(/edge layers 0\.\.1/);
  });

  it('carries knots, coefficients, masks and symbolic edges of kept nodes over, and the pruned net trains with correct gradients', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 4, k: 3 }, new Rng(21));
    const rng = new Rng(22);
    for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.2 * rng.normal();
    const l0 = kan.layers[0]!;
    l0.mask[1 * 3 + 2] = 0; // edge 0.1.2 symbolic
    l0.symMask[1 * 3 + 2] = 1;
    l0.symFns[1 * 3 + 2] = sine;
    kan.params.set([1.3, 0.2, 0.7, -0.1], l0.symOffset + 4 * 5);
    kan.layers[1]!.mask[0] = 0; // edge 1.0.0 pruned
    const pruned = keepNodes(kan, [[0, 1], [0, 2], [0]]);
    expect(pruned.width).toEqual([2, 2, 1]);
    const p0 = pruned.layers[0]!;
    expect(p0.symFns[1 * 2 + 1]).toBe(sine);
    expect(Array.from(pruned.params.subarray(p0.symOffset + 4 * 3, p0.symOffset + 4 * 4))).toEqual([1.3, 0.2, 0.7, -0.1]);
    expect(pruned.layers[1]!.mask[0]).toBe(0);
    expect(p0.knots).toEqual(l0.knots);
    const batch: Batch = { x: inputs(40, 2, 23), y: new Float64Array(40).map((_, s) => Math.sin(s)), n: 40 };
    pruned.regularization = { lamb: 0.01, lambL1: 1, lambEntropy: 2, lambCoef: 0.1, lambCoefDiff: 0.1 };
    expect(gradientError(pruned, batch)).toBeLessThan(1e-6);
    pruned.regularization = { lamb: 0, lambL1: 1, lambEntropy: 2, lambCoef: 0, lambCoefDiff: 0 };
    const history = fit(pruned, { train: batch, test: batch }, 'regression', { opt: 'lbfgs', steps: 5 }).history;
    expect(history[4]!.trainLoss).toBeLessThan(history[0]!.trainLoss);
    expect(pruned.params.every(Number.isFinite)).toBe(true);
  });
});
