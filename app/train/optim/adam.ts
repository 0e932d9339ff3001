/** Adam on one flat parameter vector, with torch.optim.Adam's bias correction, L2 weight decay and order of floating-point operations. */

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Decay of the first-moment (mean) estimate. Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment (uncentred variance) estimate. Default 0.999. */
  beta2?: number;
  /** Added to the bias-corrected root of the second moment. Default 1e-8. */
  eps?: number;
  /** L2 penalty: weightDecay * params is added to the gradient (torch's coupled form, not AdamW). Default 0. */
  weightDecay?: number;
}

export class Adam {
  readonly dim: number;
  private lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly firstMoment: Float64Array; // [dim]
  private readonly secondMoment: Float64Array; // [dim]
  private steps = 0;

  constructor(dim: number, options: AdamOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`Adam: dim must be a positive integer (the parameter count), got ${dim}.`);
    this.dim = dim;
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    requireLearningRate(this.lr);
    if (!(this.beta1 >= 0 && this.beta1 < 1)) throw new Error(`Adam: beta1 must be in [0, 1), got ${this.beta1}.`);
    if (!(this.beta2 >= 0 && this.beta2 < 1)) throw new Error(`Adam: beta2 must be in [0, 1), got ${this.beta2}.`);
    if (!(this.eps >= 0)) throw new Error(`Adam: eps must be >= 0, got ${this.eps}.`);
    if (!(this.weightDecay >= 0)) throw new Error(`Adam: weightDecay must be >= 0, got ${this.weightDecay}.`);
    this.firstMoment = new Float64Array(dim);
    this.secondMoment = new Float64Array(dim);
  }

  /** Number of step() calls since construction or the last reset(). */
  get stepCount(): number {
    return this.steps;
  }

  setLearningRate(lr: number): void {
    requireLearningRate(lr);
    this.lr = lr;
  }

  /** Forgets both moment estimates and the step count, as a freshly built optimiser. */
  reset(): void {
    this.firstMoment.fill(0);
    this.secondMoment.fill(0);
    this.steps = 0;
  }

  /** One update of params in place from grad (left untouched). */
  step(params: Float64Array, grad: Float64Array): void {
    if (params.length !== this.dim || grad.length !== this.dim) {
      throw new Error(`Adam.step: params (${params.length}) and grad (${grad.length}) must both have the optimiser's length ${this.dim}; build a new Adam after the parameter count changes.`);
    }
    this.steps++;
    const { beta1, beta2, eps, weightDecay, firstMoment, secondMoment } = this;
    const stepSize = this.lr / (1 - beta1 ** this.steps);
    const secondCorrectionRoot = Math.sqrt(1 - beta2 ** this.steps);
    const firstWeight = 1 - beta1;
    const secondWeight = 1 - beta2;
    for (let i = 0; i < this.dim; i++) {
      const g = weightDecay === 0 ? grad[i]! : grad[i]! + weightDecay * params[i]!;
      const m = lerp(firstMoment[i]!, g, firstWeight);
      const v = secondMoment[i]! * beta2 + secondWeight * g * g;
      firstMoment[i] = m;
      secondMoment[i] = v;
      params[i] = params[i]! + (-stepSize * m) / (Math.sqrt(v) / secondCorrectionRoot + eps);
    }
  }
}

/** torch's lerp: the branch on the weight keeps the result exact at both ends. */
function lerp(start: number, end: number, weight: number): number {
  return weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}

function requireLearningRate(lr: number): void {
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`Adam: lr must be a positive finite number, got ${lr}.`);
}
