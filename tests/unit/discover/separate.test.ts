/**
 * Additive separation (app/discover/separate.ts): the interaction test on an oracle, the groups it makes, the parts a
 * group's target is left with, and the spline refit of one-input parts.
 */
import { describe, expect, it } from 'vitest';
import { type Part, additiveGroups, formulaPart, groupProblem, interactions, oracleParts, splineParts } from '../../../app/discover/separate';
import type { Expr } from '../../../app/symbolic/algebra/expr';
import { lawOracle, problemOf } from './law-rows';

const rms = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0) / v.length);
const centred = (v: Float64Array): Float64Array => {
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  return v.map((x) => x - mean);
};

describe('additive separation', () => {
  it('groups the inputs that interact and splits those that only add', () => {
    const law = (x: number[]): number => Math.sin(x[0]!) + Math.sin(x[1]! ** 2) + x[2]! * x[3]!;
    const problem = problemOf(law, [[-1.5, 1.5], [-1.5, 1.5], [1, 2], [1, 2]]);
    const scores = interactions(lawOracle(law, problem), problem);
    // Every pair across groups is additive to rounding; the product's pair interacts at the scale of the target.
    for (const [i, j] of [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3]] as const) expect(scores[i]![j]).toBeLessThan(1e-12);
    expect(scores[2]![3]).toBeGreaterThan(0.1);
    expect(additiveGroups(scores, 0)).toEqual([[0], [1], [2, 3]]);
    // A law in which every input meets every other is one group: no separation.
    const product = (x: number[]): number => x[0]! * Math.exp(x[1]! * x[2]!);
    const coupled = problemOf(product, [[1, 2], [0, 1], [0, 1]]);
    expect(additiveGroups(interactions(lawOracle(product, coupled), coupled), 0)).toBeNull();
  });

  it('lets an oracle\'s error pass as additive only up to a few times the oracle\'s own validation error', () => {
    // x1 + x2 + 0.05*x1*x2: an interaction of a few percent of the spread is real where the oracle fits far better than
    // that, and within the noise of one that errs as much.
    const law = (x: number[]): number => x[0]! + x[1]! + 0.05 * x[0]! * x[1]!;
    const problem = problemOf(law, [[0, 2], [0, 2]]);
    const scores = interactions(lawOracle(law, problem), problem);
    expect(scores[0]![1]).toBeGreaterThan(0.02);
    expect(additiveGroups(scores, 1e-3)).toBeNull();
    expect(additiveGroups(scores, 0.05)).toEqual([[0], [1]]);
  });

  it('leaves each group its own part: y less the other groups\' parts, from the oracle or from the splines', () => {
    const g = (v: number): number => v ** 4 / (1 + v ** 4);
    const law = (x: number[]): number => g(x[0]!) + g(x[1]!);
    const problem = problemOf(law, [[0.2, 4], [0.2, 4]]);
    const groups = [[0], [1]];
    // An oracle that errs smoothly by 1% of the target in a way that is no sum (its interaction is small but there).
    const oracle = lawOracle(law, problem, (x) => 0.01 * Math.sin(x[0]! + x[1]!));
    const truth = (i: number, split: 'rawTrain' | 'rawValidation'): Float64Array => centred(problem[split].columns[i]!.map(g));
    const misfit = (parts: Part[]): number => Math.max(...parts.map((p, i) => rms(p.train.map((v, s) => v - truth(i, 'rawTrain')[s]!))));
    const fromOracle = oracleParts(oracle, problem, groups, 'sum');
    expect(misfit(fromOracle)).toBeLessThan(0.01);
    expect(misfit(fromOracle)).toBeGreaterThan(1e-4);
    // The splines are fitted to the rows themselves: the oracle's misfit is gone, down to the splines' own error.
    const refit = splineParts(problem, groups, fromOracle, 'sum')!;
    expect(misfit(refit)).toBeLessThan(1e-4);
    // The group's problem keeps its inputs and the target less the others' parts: the law's term up to a constant.
    const first = groupProblem(problem, [0], [refit[1]!], 'sum');
    expect(first.inputNames).toEqual(['x1']);
    expect(first.rawTrain.columns).toEqual([problem.rawTrain.columns[0]]);
    expect(Array.from(first.train.x)).toEqual(Array.from(problem.rawTrain.columns[0]!));
    const offset = first.rawTrain.y[0]! - g(problem.rawTrain.columns[0]![0]!);
    expect(rms(first.rawTrain.y.map((v, s) => v - offset - g(problem.rawTrain.columns[0]![s]!)))).toBeLessThan(1e-4);
    expect(rms(first.rawValidation.y.map((v, s) => v - offset - g(problem.rawValidation.columns[0]![s]!)))).toBeLessThan(2e-4);
    // No group of one input: nothing for the splines to refit.
    expect(splineParts(problem, [[0, 1]], [fromOracle[0]!], 'sum')).toBeNull();
  });

  it('takes a group\'s formula as its part without its constant term, so the next group\'s target keeps its own offset', () => {
    const law = (x: number[]): number => Math.sqrt(1 + x[0]! ** 2) + x[1]! * x[2]! ** 2;
    const problem = problemOf(law, [[0.5, 2], [0.5, 2], [0.5, 2]]);
    // x1*x3^2 + 1.62 in the group's inputs (x2, x3 of the problem are its x1, x2).
    const found: Expr = { kind: 'add', terms: [{ kind: 'mul', factors: [{ kind: 'var', index: 0 }, { kind: 'pow', base: { kind: 'var', index: 1 }, exponent: { kind: 'const', value: 2 } }] }, { kind: 'const', value: 1.62 }] };
    const part = formulaPart(found, problem, [1, 2], 'sum');
    const rest = groupProblem(problem, [0], [part], 'sum');
    // y less the product is exactly sqrt(1 + x1^2): a target whose square is a polynomial, as the y^2 read-off needs.
    rest.rawTrain.y.forEach((v, s) => expect(v).toBeCloseTo(Math.sqrt(1 + problem.rawTrain.columns[0]![s]! ** 2), 12));
  });

  it('separates a product on an oracle of log|y|, and leaves each group y divided by the other groups\' factors', () => {
    const law = (x: number[]): number => x[0]! * Math.exp(-x[1]!) * Math.sin(x[2]! ** 2);
    const problem = problemOf(law, [[1, 2], [0, 1], [0.5, 1.5]]);
    // The oracle of log|y|: a sum there, so no pair interacts; the oracle of y sees every pair interact.
    const logLaw = (x: number[]): number => Math.log(Math.abs(law(x)));
    const logProblem = { ...problem, train: { ...problem.train, y: problem.train.y.map((v) => Math.log(Math.abs(v))) }, validation: { ...problem.validation, y: problem.validation.y.map((v) => Math.log(Math.abs(v))) } };
    const groups = additiveGroups(interactions(lawOracle(logLaw, logProblem), problem), 0)!;
    expect(groups).toEqual([[0], [1], [2]]);
    expect(additiveGroups(interactions(lawOracle(law, problem), problem), 0)).toBeNull();
    // The oracle's parts are the factors' logs (less their means); dividing y by the other two leaves c * sin(x3^2).
    const parts = oracleParts(lawOracle(logLaw, logProblem), problem, groups, 'product');
    const third = groupProblem(problem, [2], [parts[0]!, parts[1]!], 'product');
    const ratios = third.rawTrain.y.map((v, s) => v / Math.sin(problem.rawTrain.columns[2]![s]! ** 2));
    for (const r of ratios) expect(r / ratios[0]!).toBeCloseTo(1, 9);
    // A found factor is its part without its constant factor: y over 1.6*exp(-x2) and x1 is sin(x3^2) itself.
    const exp: Expr = { kind: 'mul', factors: [{ kind: 'const', value: 1.6 }, { kind: 'fn', name: 'exp', arg: { kind: 'mul', factors: [{ kind: 'const', value: -1 }, { kind: 'var', index: 0 }] } }] };
    const found = [formulaPart({ kind: 'var', index: 0 }, problem, [0], 'product'), formulaPart(exp, problem, [1], 'product')];
    groupProblem(problem, [2], found, 'product').rawTrain.y.forEach((v, s) => expect(v).toBeCloseTo(Math.sin(problem.rawTrain.columns[2]![s]! ** 2), 12));
  });

  it('does not separate by an oracle too rough to tell', () => {
    expect(additiveGroups([[0, 0.01], [0.01, 0]], 0.06)).toBeNull();
    expect(additiveGroups([[0, 0.01], [0.01, 0]], 0.004)).toEqual([[0], [1]]);
  });
});

