/** L-BFGS with a strong-Wolfe line search on one flat parameter vector, following torch.optim.LBFGS step for step, except that a non-finite loss is never accepted. */

/** Evaluates the objective at params, writes d(loss)/d(params) into grad (length params.length) and returns the loss. */
export type ObjectiveFn = (params: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Trial step along the L-BFGS direction (the first iteration ever scales it by min(1, 1/|g|_1)). Default 1. */
  lr?: number;
  /** Iterations per step() call, as torch/pykan. Default 20. */
  maxIter?: number;
  /** Objective evaluations per step() call, the opening one included. Default floor(maxIter * 5 / 4). */
  maxEval?: number;
  /** Number of (s, y) pairs kept. Default 10, as pykan. */
  historySize?: number;
  /** Stop when max|g| falls to this. Default 1e-7. */
  toleranceGrad?: number;
  /** Stop when d.g, the step max|t d| or the loss change falls below this. Default 1e-12. */
  toleranceChange?: number;
  /**
   * A step pair (s, y) enters the history only if y.s exceeds this. Default 1e-10, torch's fixed value. Being absolute,
   * it freezes the history once steps near a minimum get small (y.s ~ curvature * |s|^2), after which convergence is
   * only linear; pykan's own LBFGS copy uses 1e-32 (its tolerance_ys) for that reason.
   */
  toleranceCurvature?: number;
  /** 'none' takes the fixed step lr along the direction. Default 'strong_wolfe'. */
  lineSearch?: 'strong_wolfe' | 'none';
}

/** How one step() call may treat its opening evaluation. */
export interface LbfgsStepOptions {
  /**
   * The caller's promise that the objective is the same function as in the previous step() call (same rows, same model
   * structure). Then, when params still hold exactly the point that call ended at, its loss and gradient are reused
   * instead of evaluated again; that opening evaluation still counts towards maxEval, so the iterates are unchanged.
   */
  sameObjective?: boolean;
}

export interface LbfgsStepResult {
  /** Loss at the params as left by step(); NaN or Inf only when the starting params already gave one. */
  loss: number;
  evaluations: number;
  iterations: number;
  /** True when a tolerance (gradient, directional derivative, step or loss change) stopped the call early. */
  converged: boolean;
}

// Line-search constants of torch's _strong_wolfe (torch passes none of them from the optimiser).
const ARMIJO_C1 = 1e-4;
const CURVATURE_C2 = 0.9;
const LINE_SEARCH_TOLERANCE_CHANGE = 1e-9;

export class Lbfgs {
  readonly dim: number;
  private readonly lr: number;
  private readonly maxIter: number;
  private readonly maxEval: number;
  private readonly historySize: number;
  private readonly toleranceGrad: number;
  private readonly toleranceChange: number;
  private readonly toleranceCurvature: number;
  private readonly useLineSearch: boolean;

  // History ring buffers: pair p occupies [p * dim, (p + 1) * dim); logical pair k (0 = oldest) is at (historyStart + k) % historySize.
  private readonly historyY: Float64Array; // [historySize][dim] gradient differences
  private readonly historyS: Float64Array; // [historySize][dim] parameter steps
  private readonly historyRho: Float64Array; // [historySize] 1 / (y . s)
  private readonly twoLoopAlpha: Float64Array; // [historySize]
  private historyStart = 0;
  private historyCount = 0;
  private hessianDiagonal = 1;
  private readonly direction: Float64Array; // [dim]
  private stepLength = 0;
  private iterationsSinceReset = 0;

  private readonly grad: Float64Array; // [dim] gradient at the current point
  private readonly previousGrad: Float64Array; // [dim] gradient where the last direction was computed
  private readonly startOfLine: Float64Array; // [dim] params the line search starts from
  private readonly trialGrad: Float64Array; // [dim] written by the objective during the line search
  private readonly previousTrialGrad: Float64Array; // [dim]
  private readonly bracketGrad: [Float64Array, Float64Array]; // [2][dim]
  private readonly bracketStep = new Float64Array(2);
  private readonly bracketLoss = new Float64Array(2);
  private readonly bracketSlope = new Float64Array(2);
  private trialSlope = 0;
  private lineSearchStep = 0;
  private lineSearchLoss = 0;
  // Where the last step() call ended, with its loss (its gradient is this.grad), or endValid false when unknown.
  private readonly endParams: Float64Array;
  private endLoss = 0;
  private endValid = false;

  constructor(dim: number, options: LbfgsOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`Lbfgs: dim must be a positive integer (the parameter count), got ${dim}.`);
    this.dim = dim;
    this.lr = options.lr ?? 1;
    this.maxIter = options.maxIter ?? 20;
    this.maxEval = options.maxEval ?? Math.floor((this.maxIter * 5) / 4);
    this.historySize = options.historySize ?? 10;
    this.toleranceGrad = options.toleranceGrad ?? 1e-7;
    this.toleranceChange = options.toleranceChange ?? 1e-12;
    this.toleranceCurvature = options.toleranceCurvature ?? 1e-10;
    const lineSearch = options.lineSearch ?? 'strong_wolfe';
    if (!(this.lr > 0 && Number.isFinite(this.lr))) throw new Error(`Lbfgs: lr must be a positive finite number, got ${this.lr}.`);
    requirePositiveInteger('maxIter', this.maxIter);
    requirePositiveInteger('maxEval', this.maxEval);
    requirePositiveInteger('historySize', this.historySize);
    if (!(this.toleranceGrad >= 0)) throw new Error(`Lbfgs: toleranceGrad must be >= 0, got ${this.toleranceGrad}.`);
    if (!(this.toleranceChange >= 0)) throw new Error(`Lbfgs: toleranceChange must be >= 0, got ${this.toleranceChange}.`);
    // Zero or below would admit pairs with y.s <= 0, making the inverse-Hessian estimate indefinite.
    if (!(this.toleranceCurvature > 0)) throw new Error(`Lbfgs: toleranceCurvature must be > 0, got ${this.toleranceCurvature}.`);
    if (lineSearch !== 'strong_wolfe' && lineSearch !== 'none') {
      throw new Error(`Lbfgs: lineSearch must be 'strong_wolfe' or 'none', got '${String(lineSearch)}'.`);
    }
    this.useLineSearch = lineSearch === 'strong_wolfe';

    this.historyY = new Float64Array(this.historySize * dim);
    this.historyS = new Float64Array(this.historySize * dim);
    this.historyRho = new Float64Array(this.historySize);
    this.twoLoopAlpha = new Float64Array(this.historySize);
    this.direction = new Float64Array(dim);
    this.grad = new Float64Array(dim);
    this.previousGrad = new Float64Array(dim);
    this.startOfLine = new Float64Array(dim);
    this.trialGrad = new Float64Array(dim);
    this.previousTrialGrad = new Float64Array(dim);
    this.bracketGrad = [new Float64Array(dim), new Float64Array(dim)];
    this.endParams = new Float64Array(dim);
  }

  /** Forgets the curvature history: the next iteration is a scaled steepest-descent step, as for a fresh optimiser. */
  reset(): void {
    this.iterationsSinceReset = 0;
    this.historyStart = 0;
    this.historyCount = 0;
    this.hessianDiagonal = 1;
    this.stepLength = 0;
  }

  /**
   * Runs up to maxIter iterations from params, updating them in place; the curvature history carries over
   * to the next call (as torch.optim.LBFGS). The objective is always evaluated on this params array, so a model
   * that reads its weights from it may ignore the first argument. If the starting params give a non-finite loss
   * or gradient, nothing is changed and that loss is returned.
   */
  step(params: Float64Array, objective: ObjectiveFn, options: LbfgsStepOptions = {}): LbfgsStepResult {
    if (params.length !== this.dim) {
      throw new Error(`Lbfgs.step: params has length ${params.length} but the optimiser was built for ${this.dim}; build a new Lbfgs after the parameter count changes.`);
    }
    const result = this.iterate(params, objective, options.sameObjective === true);
    this.endValid = Number.isFinite(result.loss);
    if (this.endValid) {
      this.endParams.set(params);
      this.endLoss = result.loss;
    }
    return result;
  }

  /** Whether params are exactly (value for value) where the last step() call ended. */
  private atEnd(params: Float64Array): boolean {
    if (!this.endValid) return false;
    const { endParams } = this;
    for (let i = 0; i < params.length; i++) if (params[i] !== endParams[i]) return false;
    return true;
  }

  private iterate(params: Float64Array, objective: ObjectiveFn, sameObjective: boolean): LbfgsStepResult {
    const { grad, direction, startOfLine } = this;
    // this.grad still holds the gradient where the last call ended: every path out of iterate() leaves it there.
    let loss = sameObjective && this.atEnd(params) ? this.endLoss : objective(params, grad);
    let evaluations = 1;
    if (!Number.isFinite(loss) || !allFinite(grad)) return { loss, evaluations, iterations: 0, converged: false };
    if (maxAbs(grad) <= this.toleranceGrad) return { loss, evaluations, iterations: 0, converged: true };

    let iterations = 0;
    let converged = false;
    while (iterations < this.maxIter) {
      iterations++;
      this.iterationsSinceReset++;
      if (this.iterationsSinceReset === 1) {
        for (let i = 0; i < this.dim; i++) direction[i] = -grad[i]!;
        this.historyStart = 0;
        this.historyCount = 0;
        this.hessianDiagonal = 1;
      } else {
        this.rememberLastStep();
        this.computeDirection();
      }
      this.previousGrad.set(grad);
      const previousLoss = loss;

      let step = this.iterationsSinceReset === 1 ? Math.min(1, 1 / sumAbs(grad)) * this.lr : this.lr;
      const slope = dot(grad, direction);
      if (!(slope <= -this.toleranceChange)) {
        this.stepLength = step;
        converged = true;
        break;
      }

      startOfLine.set(params);
      if (this.useLineSearch) {
        // As torch 2.x: the line search may spend only the evaluations this call has left.
        evaluations += this.strongWolfe(params, objective, step, loss, slope, this.maxEval - evaluations);
        step = this.lineSearchStep;
        loss = this.lineSearchLoss;
        for (let i = 0; i < this.dim; i++) params[i] = startOfLine[i]! + step * direction[i]!;
      } else {
        // Unlike torch, the last iteration is evaluated too, so the returned loss belongs to the returned params.
        const trialLoss = this.evaluateAlongDirection(params, objective, step);
        evaluations++;
        if (trialLoss === Infinity) {
          params.set(startOfLine);
          this.stepLength = step;
          break;
        }
        loss = trialLoss;
        grad.set(this.trialGrad);
      }
      this.stepLength = step;

      if (
        maxAbs(grad) <= this.toleranceGrad ||
        maxAbs(direction) * Math.abs(step) <= this.toleranceChange ||
        Math.abs(loss - previousLoss) < this.toleranceChange
      ) {
        converged = true;
        break;
      }
      if (evaluations >= this.maxEval) break;
    }
    return { loss, evaluations, iterations, converged };
  }

  /** Adds the pair (s = t d, y = g - g_prev) from the last iteration to the ring buffer, unless its curvature y.s is at most toleranceCurvature. */
  private rememberLastStep(): void {
    const { dim, grad, previousGrad, direction, stepLength } = this;
    let ys = 0;
    for (let i = 0; i < dim; i++) ys += (grad[i]! - previousGrad[i]!) * (direction[i]! * stepLength);
    if (!(ys > this.toleranceCurvature)) return;
    let slot: number;
    if (this.historyCount < this.historySize) {
      slot = (this.historyStart + this.historyCount) % this.historySize;
      this.historyCount++;
    } else {
      slot = this.historyStart;
      this.historyStart = (this.historyStart + 1) % this.historySize;
    }
    const offset = slot * dim;
    let yy = 0;
    for (let i = 0; i < dim; i++) {
      const y = grad[i]! - previousGrad[i]!;
      this.historyY[offset + i] = y;
      this.historyS[offset + i] = direction[i]! * stepLength;
      yy += y * y;
    }
    this.historyRho[slot] = 1 / ys;
    this.hessianDiagonal = ys / yy;
  }

  /** Two-loop recursion: direction = -H g with H the L-BFGS inverse-Hessian estimate. */
  private computeDirection(): void {
    const { dim, grad, direction, historyY, historyS, historyRho, twoLoopAlpha } = this;
    for (let i = 0; i < dim; i++) direction[i] = -grad[i]!;
    for (let k = this.historyCount - 1; k >= 0; k--) {
      const slot = (this.historyStart + k) % this.historySize;
      const offset = slot * dim;
      let sq = 0;
      for (let i = 0; i < dim; i++) sq += historyS[offset + i]! * direction[i]!;
      const alpha = sq * historyRho[slot]!;
      twoLoopAlpha[slot] = alpha;
      for (let i = 0; i < dim; i++) direction[i] = direction[i]! - alpha * historyY[offset + i]!;
    }
    const scale = this.hessianDiagonal;
    for (let i = 0; i < dim; i++) direction[i] = direction[i]! * scale;
    for (let k = 0; k < this.historyCount; k++) {
      const slot = (this.historyStart + k) % this.historySize;
      const offset = slot * dim;
      let yr = 0;
      for (let i = 0; i < dim; i++) yr += historyY[offset + i]! * direction[i]!;
      const coefficient = twoLoopAlpha[slot]! - yr * historyRho[slot]!;
      for (let i = 0; i < dim; i++) direction[i] = direction[i]! + coefficient * historyS[offset + i]!;
    }
  }

  /**
   * Writes startOfLine + step * direction into params and evaluates there (gradient into trialGrad, its slope along
   * the direction into trialSlope). A non-finite loss or slope comes back as +Infinity: "too far", never a minimum.
   */
  private evaluateAlongDirection(params: Float64Array, objective: ObjectiveFn, step: number): number {
    const { dim, startOfLine, direction, trialGrad } = this;
    for (let i = 0; i < dim; i++) params[i] = startOfLine[i]! + step * direction[i]!;
    const loss = objective(params, trialGrad);
    const slope = dot(trialGrad, direction);
    this.trialSlope = slope;
    return Number.isFinite(loss) && Number.isFinite(slope) ? loss : Infinity;
  }

  /**
   * torch's _strong_wolfe (Nocedal & Wright Alg. 3.5 bracketing + 3.6 zoom with cubic interpolation) from
   * startOfLine along direction, where the loss is `loss0` with slope `slope0` < 0 and gradient this.grad.
   * Leaves the accepted step and loss in lineSearchStep / lineSearchLoss and its gradient in this.grad;
   * returns the number of evaluations. At most maxSearchIter evaluations follow the first one.
   */
  private strongWolfe(params: Float64Array, objective: ObjectiveFn, initialStep: number, loss0: number, slope0: number, maxSearchIter: number): number {
    const { grad, trialGrad, previousTrialGrad, bracketGrad, bracketStep, bracketLoss, bracketSlope } = this;
    const directionMaxAbs = maxAbs(this.direction);
    const sufficientDecrease = ARMIJO_C1 * slope0;
    const curvatureBound = -CURVATURE_C2 * slope0;

    let step = initialStep;
    let loss = this.evaluateAlongDirection(params, objective, step);
    let slope = this.trialSlope;
    let evaluations = 1;
    let previousStep = 0;
    let previousLoss = loss0;
    let previousSlope = slope0;
    previousTrialGrad.set(grad);

    // Bracketing: grow the step until an interval is known to contain a strong-Wolfe point.
    let bracketSize = 2;
    let done = false;
    let searchIter = 0;
    while (searchIter < maxSearchIter) {
      const overshot = loss > loss0 + step * sufficientDecrease || (searchIter > 1 && loss >= previousLoss);
      if (!overshot && Math.abs(slope) <= curvatureBound) {
        bracketSize = 1;
        bracketStep[0] = step;
        bracketLoss[0] = loss;
        bracketGrad[0].set(trialGrad);
        done = true;
        break;
      }
      if (overshot || slope >= 0) {
        bracketStep[0] = previousStep;
        bracketLoss[0] = previousLoss;
        bracketSlope[0] = previousSlope;
        bracketGrad[0].set(previousTrialGrad);
        bracketStep[1] = step;
        bracketLoss[1] = loss;
        bracketSlope[1] = slope;
        bracketGrad[1].set(trialGrad);
        break;
      }
      const minStep = step + 0.01 * (step - previousStep);
      const maxStep = step * 10;
      const nextStep = cubicInterpolate(previousStep, previousLoss, previousSlope, step, loss, slope, minStep, maxStep);
      previousStep = step;
      previousLoss = loss;
      previousSlope = slope;
      previousTrialGrad.set(trialGrad);
      step = nextStep;
      loss = this.evaluateAlongDirection(params, objective, step);
      slope = this.trialSlope;
      evaluations++;
      searchIter++;
    }
    if (searchIter === maxSearchIter) {
      bracketStep[0] = 0;
      bracketLoss[0] = loss0;
      bracketGrad[0].set(grad);
      bracketStep[1] = step;
      bracketLoss[1] = loss;
      bracketGrad[1].set(trialGrad);
    }

    // Zoom: shrink the bracket [low, high] (low = lower loss) until a strong-Wolfe point is found.
    let low: 0 | 1 = bracketLoss[0]! <= bracketLoss[bracketSize - 1]! ? 0 : 1;
    let high: 0 | 1 = low === 0 ? 1 : 0;
    let insufficientProgress = false;
    while (!done && searchIter < maxSearchIter) {
      if (Math.abs(bracketStep[1]! - bracketStep[0]!) * directionMaxAbs < LINE_SEARCH_TOLERANCE_CHANGE) break;
      const lower = Math.min(bracketStep[0]!, bracketStep[1]!);
      const upper = Math.max(bracketStep[0]!, bracketStep[1]!);
      step = cubicInterpolate(bracketStep[0]!, bracketLoss[0]!, bracketSlope[0]!, bracketStep[1]!, bracketLoss[1]!, bracketSlope[1]!, lower, upper);
      // A trial too close to an end of the bracket is moved 10% of the bracket inside it.
      const margin = 0.1 * (upper - lower);
      if (Math.min(upper - step, step - lower) < margin) {
        if (insufficientProgress || step >= upper || step <= lower) {
          step = Math.abs(step - upper) < Math.abs(step - lower) ? upper - margin : lower + margin;
          insufficientProgress = false;
        } else {
          insufficientProgress = true;
        }
      } else {
        insufficientProgress = false;
      }

      loss = this.evaluateAlongDirection(params, objective, step);
      slope = this.trialSlope;
      evaluations++;
      searchIter++;

      if (loss > loss0 + step * sufficientDecrease || loss >= bracketLoss[low]!) {
        bracketStep[high] = step;
        bracketLoss[high] = loss;
        bracketSlope[high] = slope;
        bracketGrad[high].set(trialGrad);
        low = bracketLoss[0]! <= bracketLoss[1]! ? 0 : 1;
        high = low === 0 ? 1 : 0;
      } else {
        if (Math.abs(slope) <= curvatureBound) {
          done = true;
        } else if (slope * (bracketStep[high]! - bracketStep[low]!) >= 0) {
          bracketStep[high] = bracketStep[low]!;
          bracketLoss[high] = bracketLoss[low]!;
          bracketSlope[high] = bracketSlope[low]!;
          const oldHighGrad = bracketGrad[high];
          bracketGrad[high] = bracketGrad[low];
          bracketGrad[low] = oldHighGrad;
        }
        bracketStep[low] = step;
        bracketLoss[low] = loss;
        bracketSlope[low] = slope;
        bracketGrad[low].set(trialGrad);
      }
    }

    this.lineSearchStep = bracketStep[low]!;
    this.lineSearchLoss = bracketLoss[low]!;
    grad.set(bracketGrad[low]);
    return evaluations;
  }
}

/**
 * Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to [lowerBound, upperBound];
 * the midpoint when the cubic has no minimum or a point is non-finite (a NaN loss seen as +Infinity), which halves
 * the bracket towards the finite end.
 */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, lowerBound: number, upperBound: number): number {
  const midpoint = (lowerBound + upperBound) / 2;
  if (!(Number.isFinite(f1) && Number.isFinite(f2) && Number.isFinite(g1) && Number.isFinite(g2))) return midpoint;
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (!(d2Square >= 0)) return midpoint;
  const d2 = Math.sqrt(d2Square);
  const minimum = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  if (!Number.isFinite(minimum)) return midpoint;
  return Math.min(Math.max(minimum, lowerBound), upperBound);
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`Lbfgs: ${name} must be a positive integer, got ${value}.`);
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function maxAbs(x: Float64Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]!));
  return max;
}

function sumAbs(x: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i]!);
  return sum;
}

function allFinite(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) return false;
  return true;
}
