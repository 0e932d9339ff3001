/** Tests of the optimisers: L-BFGS against torch.optim.LBFGS and known minima, the strong-Wolfe conditions, history persistence, NaN handling; Adam against torch.optim.Adam's numbers. */
import { describe, it, expect } from 'vitest';
import { Adam, Lbfgs, type LbfgsOptions, type ObjectiveFn } from '../../app/train/optim';
import { Rng } from '../../app/util/rng';

const rosenbrock: ObjectiveFn = (x, grad) => {
  const a = x[0]!;
  const b = x[1]!;
  grad[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  grad[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

const ROSENBROCK_START = [-1.2, 1];

/** Eigenvalues from 1 to conditionNumber, evenly spaced on a log scale (the hard case for L-BFGS) or on a linear one. */
function spectrum(kind: 'log' | 'linear', dim: number, conditionNumber: number): Float64Array {
  return Float64Array.from({ length: dim }, (_, k) => (kind === 'log' ? conditionNumber ** (k / (dim - 1)) : 1 + ((conditionNumber - 1) * k) / (dim - 1)));
}

/** f(x) = 0.5 (x - minimum)' A (x - minimum) with A = Q diag(eigenvalues) Q', Q a seeded random rotation. */
function rotatedQuadratic(eigenvalues: Float64Array, seed: number): { objective: ObjectiveFn; minimum: Float64Array; start: Float64Array } {
  const dim = eigenvalues.length;
  const rng = new Rng(seed);
  // Q: [dim][dim] orthonormal rows by Gram-Schmidt on Gaussian rows.
  const q = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c < dim; c++) q[r * dim + c] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (let prev = 0; prev < r; prev++) {
        let projection = 0;
        for (let c = 0; c < dim; c++) projection += q[r * dim + c]! * q[prev * dim + c]!;
        for (let c = 0; c < dim; c++) q[r * dim + c] = q[r * dim + c]! - projection * q[prev * dim + c]!;
      }
    }
    let norm = 0;
    for (let c = 0; c < dim; c++) norm += q[r * dim + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < dim; c++) q[r * dim + c] = q[r * dim + c]! / norm;
  }
  const hessian = new Float64Array(dim * dim); // [dim][dim]
  for (let k = 0; k < dim; k++) {
    const eigenvalue = eigenvalues[k]!;
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) hessian[i * dim + j] = hessian[i * dim + j]! + eigenvalue * q[k * dim + i]! * q[k * dim + j]!;
  }
  const minimum = new Float64Array(dim);
  const start = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    minimum[i] = rng.range(-2, 2);
    start[i] = rng.range(-2, 2);
  }
  const offset = new Float64Array(dim);
  const objective: ObjectiveFn = (x, grad) => {
    for (let i = 0; i < dim; i++) offset[i] = x[i]! - minimum[i]!;
    let loss = 0;
    for (let i = 0; i < dim; i++) {
      let row = 0;
      for (let j = 0; j < dim; j++) row += hessian[i * dim + j]! * offset[j]!;
      grad[i] = row;
      loss += 0.5 * offset[i]! * row;
    }
    return loss;
  };
  return { objective, minimum, start };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function lossAt(objective: ObjectiveFn, params: Float64Array): number {
  return objective(Float64Array.from(params), new Float64Array(params.length));
}

describe('Lbfgs', () => {
  it('matches torch.optim.LBFGS 2.13 (float64, history 10, strong_wolfe) on Rosenbrock from (-1.2, 1)', () => {
    // Reference run: torch.optim.LBFGS([x], lr=1, max_iter=20, tolerance_grad=1e-7, tolerance_change=1e-12, history_size=10,
    // line_search_fn='strong_wolfe'), two step() calls. torch fuses multiply-adds, hence agreement to 1e-12 and not bit for bit.
    const params = Float64Array.from(ROSENBROCK_START);
    const optimiser = new Lbfgs(2);
    const first = optimiser.step(params, rosenbrock);
    expect(maxAbsDifference(params, [0.3800165494898331, 0.12448955654148494])).toBeLessThan(1e-12);
    expect(first).toMatchObject({ evaluations: 25, iterations: 19, converged: false });
    const second = optimiser.step(params, rosenbrock);
    expect(maxAbsDifference(params, [0.9999993334076402, 0.9999986743824548])).toBeLessThan(1e-12);
    expect(second).toMatchObject({ evaluations: 20, iterations: 17, converged: true });
    expect(second.loss).toBe(lossAt(rosenbrock, params));
  });

  it("matches torch.optim.LBFGS 2.13 with line_search_fn=None (fixed step lr, history 2)", () => {
    const curvature = [1, 2, 3];
    const objective: ObjectiveFn = (x, grad) => {
      let loss = 0;
      for (let i = 0; i < 3; i++) {
        grad[i] = curvature[i]! * x[i]! + 1;
        loss += 0.5 * curvature[i]! * x[i]! * x[i]! + x[i]!;
      }
      return loss;
    };
    const params = new Float64Array([1, -2, 0.5]);
    const optimiser = new Lbfgs(3, { lr: 0.5, maxIter: 5, maxEval: 100, historySize: 2, lineSearch: 'none' });
    const torchParams = [
      [-0.8191522171840564, -0.5606630249387118, -0.30197945505844376],
      [-0.996003201582597, -0.5016057056676207, -0.3324871391273919],
      [-0.999915422105363, -0.500044327583701, -0.33332954470987397],
    ];
    for (const expected of torchParams) {
      const result = optimiser.step(params, objective);
      expect(maxAbsDifference(params, expected)).toBeLessThan(1e-15);
      expect(result.loss).toBe(lossAt(objective, params));
    }
  });

  it('minimises Rosenbrock from (-1.2, 1) to within 1e-6 of (1, 1) in at most 3 step() calls', () => {
    // With toleranceChange 1e-12 torch (and this port) stop on the directional-derivative test at 1.3e-6 from (1, 1); see above.
    const params = Float64Array.from(ROSENBROCK_START);
    const optimiser = new Lbfgs(2, { toleranceChange: 1e-20 });
    let calls = 0;
    let iterations = 0;
    let evaluations = 0;
    let converged = false;
    while (!converged && calls < 10) {
      const result = optimiser.step(params, rosenbrock);
      calls++;
      iterations += result.iterations;
      evaluations += result.evaluations;
      converged = result.converged;
      expect(result.loss).toBe(lossAt(rosenbrock, params));
    }
    expect(converged).toBe(true);
    expect(calls).toBeLessThanOrEqual(3);
    expect(maxAbsDifference(params, [1, 1])).toBeLessThan(1e-6);
    expect(iterations).toBe(37);
    expect(evaluations).toBe(47);
  });

  it('minimises a 50-D quadratic of condition number 1e4 (linear spectrum) to within 1e-10 of its minimum', () => {
    const { objective, minimum, start } = rotatedQuadratic(spectrum('linear', 50, 1e4), 7);
    const params = Float64Array.from(start);
    const optimiser = new Lbfgs(50, { maxIter: 1000, maxEval: 2000, toleranceGrad: 1e-11, toleranceChange: 0 });
    const result = optimiser.step(params, objective);
    expect(result.converged).toBe(true);
    expect(result.iterations).toBeLessThan(500);
    expect(maxAbsDifference(params, minimum)).toBeLessThan(1e-10);
    expect(result.loss).toBe(lossAt(objective, params));
  });

  it("on a log spectrum, torch's absolute y.s > 1e-10 rule freezes the history; toleranceCurvature 1e-32 (pykan's) does not", () => {
    const errorAfter1000Iterations = (toleranceCurvature: number): number => {
      const { objective, minimum, start } = rotatedQuadratic(spectrum('log', 50, 1e4), 7);
      const params = Float64Array.from(start);
      new Lbfgs(50, { maxIter: 1000, maxEval: 2000, toleranceGrad: 1e-11, toleranceChange: 0, toleranceCurvature }).step(params, objective);
      return maxAbsDifference(params, minimum);
    };
    expect(errorAfter1000Iterations(1e-10)).toBeGreaterThan(1e-6);
    expect(errorAfter1000Iterations(1e-32)).toBeLessThan(1e-7);
  });

  it('accepts only steps satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9)', () => {
    const quadratic = rotatedQuadratic(spectrum('log', 10, 1e3), 3);
    for (const [name, objective, start] of [
      ['rosenbrock', rosenbrock, ROSENBROCK_START],
      ['quadratic', quadratic.objective, quadratic.start],
    ] as const) {
      // One iteration per call: each call's opening evaluation is the point the previous call accepted.
      const accepted: { x: Float64Array; loss: number; grad: Float64Array }[] = [];
      let evaluationsThisCall = 0;
      const recording: ObjectiveFn = (x, grad) => {
        const loss = objective(x, grad);
        if (evaluationsThisCall === 0) accepted.push({ x: Float64Array.from(x), loss, grad: Float64Array.from(grad) });
        evaluationsThisCall++;
        return loss;
      };
      const params = Float64Array.from(start);
      const optimiser = new Lbfgs(params.length, { maxIter: 1, maxEval: 40, toleranceChange: 0 });
      let longestSearch = 0;
      for (let call = 0; call < 200; call++) {
        evaluationsThisCall = 0;
        const result = optimiser.step(params, recording);
        longestSearch = Math.max(longestSearch, result.evaluations - 1);
        if (result.loss < 1e-14 || (result.converged && result.iterations === 0)) break;
      }
      expect(accepted.length, name).toBeGreaterThan(5);
      expect(longestSearch, `${name}: some line search must bracket or zoom`).toBeGreaterThan(1);
      for (let k = 0; k + 1 < accepted.length; k++) {
        const from = accepted[k]!;
        const to = accepted[k + 1]!;
        let slopeFrom = 0;
        let slopeTo = 0;
        for (let i = 0; i < from.x.length; i++) {
          const step = to.x[i]! - from.x[i]!;
          slopeFrom += from.grad[i]! * step;
          slopeTo += to.grad[i]! * step;
        }
        const roundingSlack = 1e-12 * Math.abs(from.loss);
        expect(slopeFrom, `${name} step ${k}: descent direction`).toBeLessThan(0);
        expect(to.loss, `${name} step ${k}: sufficient decrease`).toBeLessThanOrEqual(from.loss + 1e-4 * slopeFrom + roundingSlack);
        expect(Math.abs(slopeTo), `${name} step ${k}: curvature`).toBeLessThanOrEqual(0.9 * Math.abs(slopeFrom) * (1 + 1e-9));
      }
    }
  });

  it('keeps its history across step() calls: 2 x 10 and 4 x 5 iterations land bit for bit where 1 x 20 does', () => {
    const run = (calls: number, maxIter: number, resetBetweenCalls: boolean): Float64Array => {
      const params = Float64Array.from(ROSENBROCK_START);
      const optimiser = new Lbfgs(2, { maxIter, maxEval: 1000 });
      let total = 0;
      for (let call = 0; call < calls; call++) {
        if (resetBetweenCalls) optimiser.reset();
        const result = optimiser.step(params, rosenbrock);
        expect(result.converged).toBe(false);
        total += result.iterations;
      }
      expect(total).toBe(20);
      return params;
    };
    const whole = run(1, 20, false);
    expect(run(2, 10, false)).toEqual(whole);
    expect(run(4, 5, false)).toEqual(whole);
    expect(maxAbsDifference(run(2, 10, true), whole)).toBeGreaterThan(1e-6);
  });

  it('with sameObjective, a step() call starting where the last one ended reuses its loss and gradient: one call fewer each, the same iterates', () => {
    const run = (sameObjective: boolean, moveBetween: boolean): { params: Float64Array; calls: number; losses: number[] } => {
      const { objective, start } = rotatedQuadratic(spectrum('log', 12, 1e3), 5);
      let calls = 0;
      const counted: ObjectiveFn = (x, grad) => {
        calls++;
        return objective(x, grad);
      };
      const params = Float64Array.from(start);
      const optimiser = new Lbfgs(12, { maxIter: 4 });
      const losses: number[] = [];
      for (let call = 0; call < 6; call++) {
        // Moving the params between calls (as a caller restoring a state would) must force a fresh evaluation.
        if (moveBetween && call === 3) params[0] = params[0]! + 1e-3;
        losses.push(optimiser.step(params, counted, { sameObjective }).loss);
      }
      return { params, calls, losses };
    };
    const plain = run(false, false);
    const reused = run(true, false);
    expect(reused.params).toEqual(plain.params);
    expect(reused.losses).toEqual(plain.losses);
    expect(reused.calls).toBe(plain.calls - 5);
    const moved = run(true, true);
    const movedPlain = run(false, true);
    expect(moved.params).toEqual(movedPlain.params);
    expect(moved.calls).toBe(movedPlain.calls - 4);
  });

  it('starts (and restarts after reset) with the step min(1, 1/|g|_1) * lr along -g', () => {
    const curvature = [0.5, 4, 2];
    const objective: ObjectiveFn = (x, grad) => {
      let loss = 0;
      for (let i = 0; i < 3; i++) {
        grad[i] = curvature[i]! * x[i]!;
        loss += 0.5 * curvature[i]! * x[i]! ** 2;
      }
      return loss;
    };
    const lr = 0.3;
    const optimiser = new Lbfgs(3, { lr, maxIter: 1, lineSearch: 'none' });
    const expectSteepestStep = (params: Float64Array): void => {
      const grad = params.map((x, i) => curvature[i]! * x);
      const gradL1 = grad.reduce((sum, g) => sum + Math.abs(g), 0);
      const expected = params.map((x, i) => x + Math.min(1, 1 / gradL1) * lr * -grad[i]!);
      optimiser.step(params, objective);
      expect(params).toEqual(expected);
    };
    const params = new Float64Array([1, -2, 0.25]); // |g|_1 = 9: step 0.3 / 9
    expectSteepestStep(params);
    optimiser.step(params, objective);
    optimiser.reset();
    expectSteepestStep(params);
  });

  it('is deterministic: two runs give bit-identical params', () => {
    const run = (): Float64Array => {
      const { objective, start } = rotatedQuadratic(spectrum('log', 20, 1e3), 11);
      const params = Float64Array.from(start);
      const optimiser = new Lbfgs(20, { maxIter: 60, maxEval: 200 });
      optimiser.step(params, objective);
      return params;
    };
    expect(run()).toEqual(run());
  });

  describe('non-finite losses', () => {
    /** Quadratic with minimum inside the ball |x| < radius, NaN outside it. */
    function nanOutside(radius: number, center: number[]): { objective: ObjectiveFn; nanCount: () => number } {
      let nans = 0;
      const objective: ObjectiveFn = (x, grad) => {
        let norm2 = 0;
        for (let i = 0; i < x.length; i++) norm2 += x[i]! ** 2;
        if (norm2 > radius * radius) {
          nans++;
          grad.fill(NaN);
          return NaN;
        }
        let loss = 0;
        for (let i = 0; i < x.length; i++) {
          const scale = i + 1;
          grad[i] = scale * (x[i]! - center[i]!);
          loss += 0.5 * scale * (x[i]! - center[i]!) ** 2;
        }
        return loss;
      };
      return { objective, nanCount: () => nans };
    }

    it('shrinks steps that land on NaN and still converges, with finite loss and params throughout', () => {
      const center = [1.5, -0.5, 0.8];
      const { objective, nanCount } = nanOutside(2, center);
      const params = new Float64Array([0, 0, 0]);
      const optimiser = new Lbfgs(3, { lr: 20, maxIter: 10, maxEval: 200 });
      for (let call = 0; call < 10; call++) {
        const result = optimiser.step(params, objective);
        expect(Number.isFinite(result.loss)).toBe(true);
        expect(params.every(Number.isFinite)).toBe(true);
        expect(result.loss).toBe(lossAt(objective, params));
      }
      expect(nanCount()).toBeGreaterThan(0);
      expect(maxAbsDifference(params, center)).toBeLessThan(1e-6);
    });

    it('pushed by an unbounded objective towards a region of NaN or Inf, stays on the finite side', () => {
      const radius = 3;
      for (const outside of [NaN, Infinity]) {
        const objective: ObjectiveFn = (x, grad) => {
          const norm2 = x[0]! ** 2 + x[1]! ** 2;
          grad[0] = -1;
          grad[1] = -2;
          return norm2 > radius * radius ? outside : -x[0]! - 2 * x[1]!;
        };
        const params = new Float64Array([0.1, -0.2]);
        const result = new Lbfgs(2, { maxIter: 50, maxEval: 500 }).step(params, objective);
        expect(Number.isFinite(result.loss)).toBe(true);
        expect(Math.hypot(params[0]!, params[1]!)).toBeLessThanOrEqual(radius);
        expect(result.loss).toBe(lossAt(objective, params));
        expect(result.loss).toBeLessThan(-0.3 * radius * Math.sqrt(5));
      }
    });

    it('finding no finite point, returns the starting params bit for bit and their loss', () => {
      const start = new Float64Array([0.3, -0.7]);
      const objective: ObjectiveFn = (x, grad) => {
        grad[0] = 1;
        grad[1] = -1;
        return x[0] === start[0] && x[1] === start[1] ? 2.5 : NaN;
      };
      const params = Float64Array.from(start);
      const result = new Lbfgs(2, { maxIter: 5, maxEval: 100 }).step(params, objective);
      expect(params).toEqual(start);
      expect(result.loss).toBe(2.5);
    });

    it("with lineSearch 'none', a step onto NaN is undone", () => {
      const { objective } = nanOutside(2, [1.5, -0.5, 0.8]);
      const params = new Float64Array([0, 0, 0]);
      const result = new Lbfgs(3, { lr: 100, maxIter: 5, lineSearch: 'none' }).step(params, objective);
      expect(params).toEqual(new Float64Array([0, 0, 0]));
      expect(result.loss).toBe(lossAt(objective, params));
      expect(result.converged).toBe(false);
    });

    it('leaves params untouched and reports the loss when the starting point is already non-finite', () => {
      const { objective } = nanOutside(1, [0, 0, 0]);
      const params = new Float64Array([5, 0, 0]);
      const result = new Lbfgs(3).step(params, objective);
      expect(result).toMatchObject({ evaluations: 1, iterations: 0, converged: false });
      expect(result.loss).toBeNaN();
      expect(params).toEqual(new Float64Array([5, 0, 0]));
    });
  });

  it('rejects bad sizes and options with a message saying what to change', () => {
    expect(() => new Lbfgs(0)).toThrow(/dim must be a positive integer/);
    expect(() => new Lbfgs(3, { lr: -1 })).toThrow(/lr must be a positive/);
    expect(() => new Lbfgs(3, { historySize: 0 })).toThrow(/historySize must be a positive integer/);
    expect(() => new Lbfgs(3, { toleranceCurvature: 0 })).toThrow(/toleranceCurvature must be > 0/);
    expect(() => new Lbfgs(3, { lineSearch: 'armijo' as 'none' })).toThrow(/lineSearch must be/);
    expect(() => new Lbfgs(3).step(new Float64Array(2), rosenbrock)).toThrow(/length 2 .* built for 3/);
  });
});

describe('Adam', () => {
  const GRADS = [
    [0.1, -0.2, 3.0],
    [0.05, 0.3, -1.0],
    [-0.4, 0.0, 2.5],
  ];

  it('reproduces torch.optim.Adam 2.13 (float64, lr 0.1) bit for bit over three steps', () => {
    // Step 1 by hand: m = 0.1 g, v = 0.001 g^2, bias-corrected m/sqrt(v) = g/|g|, so x -= 0.1 g / (|g| + 1e-8):
    // 0.5 - 0.1 * 0.1 / 0.10000001 = 0.40000000999999...; element 0 at step 2: m = 0.014, v = 1.249e-5,
    // x = 0.4 - 0.1 * (0.014 / 0.19) / (sqrt(1.249e-5 / 0.001999) + 1e-8) = 0.306782057911...
    const expectedByWeightDecay: [number, number[][]][] = [
      [0, [
        [0.400000009999999, -0.9000000049999998, 1.9000000003333333],
        [0.30678205791187063, -0.9247701856419429, 1.8599781433169098],
        [0.34892826151776807, -0.9439176069008689, 1.7960773223137878],
      ]],
      [0.01, [
        [0.40000000952380865, -0.9000000047619046, 1.900000000331126],
        [0.3063723797088204, -0.9211544395931989, 1.859275160357722],
        [0.3469888935341525, -0.9358611651451547, 1.7948993383265703],
      ]],
    ];
    for (const [weightDecay, expectedSteps] of expectedByWeightDecay) {
      const params = new Float64Array([0.5, -1, 2]);
      const adam = new Adam(3, { lr: 0.1, weightDecay });
      GRADS.forEach((grad, step) => {
        const gradCopy = new Float64Array(grad);
        adam.step(params, gradCopy);
        expect(params).toEqual(new Float64Array(expectedSteps[step]!));
        expect(gradCopy).toEqual(new Float64Array(grad));
      });
      expect(adam.stepCount).toBe(3);
    }
    const firstStep = 0.5 - (0.1 * 0.1) / (0.1 + 1e-8);
    expect(Math.abs(firstStep - 0.400000009999999)).toBeLessThan(1e-15);
  });

  it('reset() forgets the moments and the step count', () => {
    const params = new Float64Array([0.5, -1, 2]);
    const adam = new Adam(3, { lr: 0.1 });
    for (const grad of GRADS) adam.step(params, new Float64Array(grad));
    adam.reset();
    expect(adam.stepCount).toBe(0);
    const again = new Float64Array([0.5, -1, 2]);
    adam.step(again, new Float64Array(GRADS[0]!));
    expect(again).toEqual(new Float64Array([0.400000009999999, -0.9000000049999998, 1.9000000003333333]));
  });

  it('converges on a quadratic, with setLearningRate lowering the step as it goes', () => {
    const { objective, minimum, start } = rotatedQuadratic(spectrum('log', 10, 100), 5);
    const run = (): Float64Array => {
      const params = Float64Array.from(start);
      const grad = new Float64Array(10);
      const adam = new Adam(10, { lr: 0.05 });
      for (const [lr, steps] of [[0.05, 3000], [0.005, 1000], [0.0005, 1000]] as const) {
        adam.setLearningRate(lr);
        for (let s = 0; s < steps; s++) {
          objective(params, grad);
          adam.step(params, grad);
        }
      }
      return params;
    };
    const params = run();
    expect(maxAbsDifference(params, minimum)).toBeLessThan(1e-4);
    expect(run()).toEqual(params);
  });

  it('rejects bad sizes and options', () => {
    expect(() => new Adam(3, { beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => new Adam(3).setLearningRate(0)).toThrow(/lr must be a positive/);
    expect(() => new Adam(3).step(new Float64Array(3), new Float64Array(4))).toThrow(/must both have the optimiser's length 3/);
  });
});
