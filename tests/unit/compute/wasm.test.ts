/**
 * The WebAssembly SIMD kernels (app/compute/wasm) against the TypeScript layer code they replace, path by path: the
 * cubic forward (single output, paired samples, unsorted), the paired backward with and without the regulariser, the
 * paired input gradient, the per-sample backward with regulariser and input gradient, output counts that leave a SIMD
 * tail, inputs off the grid, and the module's memory and build.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { updateGridFromSamples } from '../../../app/kan/grid';
import { LayerCache, layerBackward, layerForward } from '../../../app/kan/layer';
import { Kan } from '../../../app/kan/model';
import { Rng } from '../../../app/util/rng';
import { AcceleratedKan } from '../../../app/compute/accelerated-kan';
import { createWasmBackend } from '../../../app/compute/wasm/backend';
import { KERNELS_SOURCE_SHA256 } from '../../../app/compute/wasm/kernels-wasm';
import { WasmArena, WasmLayerPasses, wasmAvailability } from '../../../app/compute/wasm/runner';
import { relativeError } from './helpers';

const here = new URL('../../../', import.meta.url);

function clangAvailable(): boolean {
  return ['clang-14', 'clang'].some((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
}

interface Case {
  nIn: number;
  nOut: number;
  n: number;
  reg: boolean;
  gx: boolean;
  reuse: boolean;
}

/** A layer with adapted (non-uniform) grids, inputs reaching beyond them, and random gradients from above. */
function layerCase(c: Case, seed: number) {
  const rng = new Rng(seed);
  const kan = Kan.create({ width: [c.nIn, c.nOut], grid: 6, k: 3 }, rng);
  const sample = new Float64Array(c.n * c.nIn).map(() => rng.normal() * 0.7);
  updateGridFromSamples(kan, sample, c.n, 0.3, 0);
  for (let q = 0; q < kan.params.length; q++) kan.params[q]! += 0.3 * rng.normal();
  const x = new Float64Array(c.n * c.nIn).map(() => rng.range(-2.5, 2.5));
  const gy = new Float64Array(c.n * c.nOut).map(() => rng.normal());
  const regCoef = c.reg ? new Float64Array(c.nIn * c.nOut).map(() => rng.range(0.1, 2)) : null;
  return { layer: kan.layers[0]!, params: kan.params, x, gy, regCoef };
}

const CASES: Case[] = [];
for (const nOut of [1, 2, 5, 8, 33]) {
  for (const nIn of [1, 3, 20]) {
    for (const [reg, gx, reuse] of [[false, false, true], [true, false, true], [false, true, true], [true, true, false], [false, true, false]] as const) {
      CASES.push({ nIn, nOut, n: 37, reg, gx, reuse });
    }
  }
}

describe.skipIf(!wasmAvailability().available)('wasm kernels against the TypeScript layer code', () => {
  it.each(CASES)('[%o]: same outputs and edge magnitudes bit for bit, gradients to rounding', (c) => {
    const { layer, params, x, gy, regCoef } = layerCase(c, 100 * c.nOut + 10 * c.nIn + (c.reg ? 1 : 0) + (c.gx ? 2 : 0) + (c.reuse ? 4 : 0));
    const edges = c.nIn * c.nOut;
    const yWant = new Float64Array(c.n * c.nOut);
    const absWant = new Float64Array(edges);
    const cache = new LayerCache();
    layerForward(layer, params, x, c.n, yWant, cache, absWant, c.reuse);
    const gradWant = new Float64Array(params.length);
    const gxWant = c.gx ? new Float64Array(c.n * c.nIn) : null;
    layerBackward(layer, params, cache, gy, regCoef, gradWant, gxWant);

    const passes = new WasmLayerPasses();
    // Twice: the second forward may reuse the basis (reuse) or recompute it into the same buffers.
    for (let round = 0; round < 2; round++) {
      const y = new Float64Array(c.n * c.nOut);
      const abs = new Float64Array(edges);
      passes.forward(0, layer, params, x, c.n, y, abs, c.reuse);
      expect(Array.from(y)).toEqual(Array.from(yWant));
      expect(Array.from(abs)).toEqual(Array.from(absWant));
      const grad = new Float64Array(params.length);
      const gx = c.gx ? new Float64Array(c.n * c.nIn) : null;
      passes.backward(0, layer, params, gy, regCoef, grad, gx);
      expect(relativeError(grad, gradWant)).toBeLessThan(1e-14);
      if (gx && gxWant) expect(relativeError(gx, gxWant)).toBeLessThan(1e-14);
    }
  });

  it.each(CASES.filter((c) => c.nOut !== 2))('[%o] in chunks of 8 rows: outputs bit for bit, edge magnitudes and gradients to rounding', (c) => {
    const { layer, params, x, gy, regCoef } = layerCase(c, 7 + c.nOut + 3 * c.nIn);
    const yWant = new Float64Array(c.n * c.nOut);
    const absWant = new Float64Array(c.nIn * c.nOut);
    const cache = new LayerCache();
    layerForward(layer, params, x, c.n, yWant, cache, absWant, c.reuse);
    const gradWant = new Float64Array(params.length);
    const gxWant = c.gx ? new Float64Array(c.n * c.nIn) : null;
    layerBackward(layer, params, cache, gy, regCoef, gradWant, gxWant);
    const passes = new WasmLayerPasses(new WasmArena(), 8);
    const y = new Float64Array(c.n * c.nOut);
    const abs = new Float64Array(c.nIn * c.nOut);
    passes.forward(0, layer, params, x, c.n, y, abs, c.reuse);
    expect(passes.rows(0)).toBe(c.n);
    expect(Array.from(y)).toEqual(Array.from(yWant));
    expect(relativeError(abs, absWant)).toBeLessThan(1e-14);
    const grad = new Float64Array(params.length);
    const gx = c.gx ? new Float64Array(c.n * c.nIn) : null;
    passes.backward(0, layer, params, gy, regCoef, grad, gx);
    expect(relativeError(grad, gradWant)).toBeLessThan(1e-13);
    if (gx && gxWant) expect(relativeError(gx, gxWant)).toBeLessThan(1e-14);
  });

  it('a whole model through the wasm backend has the gradient of its objective (central differences)', () => {
    const rng = new Rng(3);
    const kan = Kan.create({ width: [3, 6, 2], grid: 5, k: 3 }, rng);
    kan.regularization = { lamb: 0.01, lambL1: 1, lambEntropy: 2, lambCoef: 0.1, lambCoefDiff: 0.1 };
    const n = 40;
    const batch = { x: new Float64Array(n * 3).map(() => rng.range(-1, 1)), y: new Float64Array(n * 2).map(() => rng.normal()), n };
    const model = new AcceleratedKan(kan, createWasmBackend());
    const grad = new Float64Array(kan.params.length);
    model.lossAndGrad(batch, 'regression', grad);
    const scratch = new Float64Array(kan.params.length);
    const h = 1e-6;
    let checked = 0;
    for (let q = 0; q < kan.params.length; q += 7) {
      const keep = kan.params[q]!;
      kan.params[q] = keep + h;
      const up = model.lossAndGrad(batch, 'regression', scratch).objective;
      kan.params[q] = keep - h;
      const down = model.lossAndGrad(batch, 'regression', scratch).objective;
      kan.params[q] = keep;
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(numeric - grad[q]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('arena views stay valid while the memory grows, and a request past 4 GiB says what to do', () => {
    const arena = new WasmArena();
    const first = arena.f64(1000);
    first.set(Array.from({ length: 1000 }, (_, q) => q * 0.5));
    const big = arena.f64(3_000_000);
    big[2_999_999] = 7;
    expect(arena.bytesInUse).toBeGreaterThan(24_000_000);
    expect(first[999]).toBe(499.5);
    expect(big[2_999_999]).toBe(7);
    expect(() => arena.f64(600_000_000)).toThrow(/more than WebAssembly's 4 GiB: use a smaller batch, or the reference or threads backend/);
  });

  it('the kernels refuse an array outside their module memory instead of reading the wrong bytes', () => {
    const passes = new WasmLayerPasses();
    const { layer, params, x } = layerCase({ nIn: 2, nOut: 4, n: 10, reg: false, gx: false, reuse: true }, 5);
    passes.forward(0, layer, params, x, 10, new Float64Array(40), null, true);
    const engine = (passes as unknown as { engine: { kernels: { forward: (...args: unknown[]) => void } } }).engine;
    expect(() => engine.kernels.forward(params, 0, new Float64Array(64), 4, 10, 0, new Int32Array(10), new Float64Array(40), new Float64Array(10), null, new Float64Array(40), null, 0))
      .toThrow(/outside its module memory/);
  });
});

describe('the embedded wasm module', () => {
  it('was compiled from the kernels.c in the tree (rebuild with node scripts/build-wasm.mjs)', () => {
    const source = readFileSync(new URL('app/compute/wasm/kernels.c', here));
    expect(createHash('sha256').update(source).digest('hex')).toBe(KERNELS_SOURCE_SHA256);
  });

  it.skipIf(!clangAvailable())('is byte for byte what clang makes of kernels.c (skipped without clang 14+ and wasm-ld)', () => {
    const check = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: here, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('up to date');
    expect(check.status).toBe(0);
  });
});
