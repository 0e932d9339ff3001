/** One participant of a threaded pass: caches live for one set of kernels, so a participant never holds two sets' memory. */
import { describe, expect, it } from 'vitest';
import { TsLayerPasses } from '../../../app/compute/passes';
import { Kan } from '../../../app/kan/model';
import { Rng } from '../../../app/util/rng';
import { SliceRunner } from '../../../main/compute/slices';

describe('a slice runner', () => {
  it('starts fresh passes for each new set of kernels and keeps them within a set', () => {
    const kan = Kan.create({ width: [3, 4], grid: 5, k: 3 }, new Rng(1));
    const { symMask: _m, symFns: _f, ...layer } = kan.layers[0]!;
    const n = 10;
    const x = new Float64Array(n * 3).map((_, q) => Math.sin(q));
    const y = new Float64Array(n * 4);
    const gy = new Float64Array(n * 4).fill(1);
    const grad = new Float64Array(kan.params.length);
    let made = 0;
    const runner = new SliceRunner(() => {
      made++;
      return new TsLayerPasses();
    });
    const forward = (set: number) => runner.run({ op: 'forward', set, l: 0, layer, params: kan.params, x, s0: 0, s1: n, y, absSum: null, inputVersion: -1 });
    const backward = (set: number) => runner.run({ op: 'backward', set, l: 0, layer, params: kan.params, gy, s0: 0, s1: n, regCoef: null, grad, gx: null });
    // Nothing is made before the first pass arrives.
    expect(made).toBe(0);
    forward(7);
    backward(7);
    forward(7);
    expect(made).toBe(1);
    forward(8);
    expect(made).toBe(2);
    // Set 7's caches are gone: its backward now has no forward pass to go back through.
    expect(() => backward(7)).toThrow(/without its forward pass/);
    expect(made).toBe(3);
    expect(grad.some((g) => g !== 0)).toBe(true);
  });
});
