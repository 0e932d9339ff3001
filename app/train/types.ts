/** The contract between models, losses and optimisers: a model is a flat parameter vector plus a differentiable loss over a batch. */

export type Task = 'regression' | 'classification';

/**
 * A batch of samples, row-major.
 * x: [n][nIn]. y: regression -> [n][nOut] targets; classification -> [n] class indices (0..nOut-1) stored as floats.
 */
export interface Batch {
  x: Float64Array;
  y: Float64Array;
  n: number;
}

/** Anything trainable by the optimisers in app/train. */
export interface DifferentiableModel {
  readonly nIn: number;
  readonly nOut: number;
  /** All trainable numbers, in one flat vector; the model reads its weights from here. */
  params: Float64Array;
  /** Predictions [n][nOut] for inputs x [n][nIn]. */
  forward(x: Float64Array, n: number): Float64Array;
  /**
   * Training objective (prediction loss plus the model's own regularisation) at the current params,
   * writing d(objective)/d(params) into grad (overwritten, length params.length).
   * Returns the objective and, separately, the prediction loss alone.
   */
  lossAndGrad(batch: Batch, task: Task, grad: Float64Array): { objective: number; loss: number };
  /** Number of parameters that are actually in use (masked or pruned ones excluded). */
  parameterCount(): number;
}
