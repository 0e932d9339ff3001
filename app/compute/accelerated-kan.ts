/**
 * A Kan whose training objective and predictions are computed with a backend's kernels: the same objective as
 * Kan.lossAndGrad (prediction loss + magnitude/entropy regulariser + coefficient L1), the same parameter vector and
 * layers (shared with the wrapped Kan, so grid updates and optimiser steps act on both), and the reference code for what
 * the kernels do not cover (symbolic edges).
 */
import { hasDomains } from '../kan/domain';
import type { KanLayer } from '../kan/layer';
import { Kan, coefficientRegularizer, magnitudeRegularizer } from '../kan/model';
import { predictionLoss } from '../train/loss';
import type { Batch, Task } from '../train/types';
import { type ComputeBackend, type Deferred, type KanKernels, type LayerShape, drive, sameShapes, settled, shapeOf } from './contract';

export class AcceleratedKan extends Kan {
  private kernels: KanKernels | null = null;
  private kernelShapes: LayerShape[] = [];

  /** Shares kan's layers and params (not copies): what the optimiser or a grid update does to one, the other sees. */
  constructor(kan: Kan, readonly backend: ComputeBackend) {
    super(kan.layers, kan.params);
    this.regularization = { ...kan.regularization };
  }

  override lossAndGrad(batch: Batch, task: Task, grad: Float64Array): { objective: number; loss: number } {
    if (hasSymbolicEdges(this.layers)) return super.lossAndGrad(batch, task, grad);
    return settled(drive(this.lossAndGradSteps(batch, task, grad)), `backend ${this.backend.name}`);
  }

  /** lossAndGrad for asynchronous backends (and synchronous ones alike). */
  async lossAndGradAsync(batch: Batch, task: Task, grad: Float64Array): Promise<{ objective: number; loss: number }> {
    if (hasSymbolicEdges(this.layers)) return super.lossAndGrad(batch, task, grad);
    return drive(this.lossAndGradSteps(batch, task, grad));
  }

  override forward(x: Float64Array, n: number): Float64Array {
    // The kernels compute the layers' functions everywhere: past a training domain, predictions are the reference's.
    if (hasSymbolicEdges(this.layers) || hasDomains(this.layers)) return super.forward(x, n);
    return settled(drive(this.forwardSteps(x, n)), `backend ${this.backend.name}`);
  }

  async forwardAsync(x: Float64Array, n: number): Promise<Float64Array> {
    if (hasSymbolicEdges(this.layers) || hasDomains(this.layers)) return super.forward(x, n);
    return drive(this.forwardSteps(x, n));
  }

  /** Every layer's input and the output, from the kernels where they compute what the reference would. */
  override activations(x: Float64Array, n: number): Float64Array[] {
    if (hasSymbolicEdges(this.layers) || hasDomains(this.layers)) return super.activations(x, n);
    return settled(drive(this.activationSteps(x, n)), `backend ${this.backend.name}`);
  }

  private *activationSteps(x: Float64Array, n: number): Generator<Deferred<unknown>, Float64Array[], unknown> {
    const kernels = this.currentKernels();
    yield kernels.setParameters(this.layers, this.params);
    const acts = [x];
    for (let l = 0; l < this.layers.length; l++) {
      yield kernels.forwardLayer(l, l === 0 ? x : null, n, null);
      // Copies: kernels reuse their output buffers on the next pass.
      acts.push(((yield kernels.readOutput(l)) as Float64Array).slice());
    }
    return acts;
  }

  /** Releases the kernels (device memory, compiled programs); the backend itself stays usable. */
  dispose(): void {
    this.kernels?.dispose();
    this.kernels = null;
  }

  private *forwardSteps(x: Float64Array, n: number): Generator<Deferred<unknown>, Float64Array, unknown> {
    const kernels = this.currentKernels();
    yield kernels.setParameters(this.layers, this.params);
    for (let l = 0; l < this.layers.length; l++) yield kernels.forwardLayer(l, l === 0 ? x : null, n, null);
    // A copy, as Kan.forward returns a new array: kernels reuse their output buffers on the next pass.
    return ((yield kernels.readOutput(this.layers.length - 1)) as Float64Array).slice();
  }

  private *lossAndGradSteps(batch: Batch, task: Task, grad: Float64Array): Generator<Deferred<unknown>, { objective: number; loss: number }, unknown> {
    const { x, y, n } = batch;
    const reg = this.regularization;
    const layers = this.layers;
    const last = layers.length - 1;
    const useActReg = reg.lamb > 0 && (reg.lambL1 !== 0 || reg.lambEntropy !== 0);
    const kernels = this.currentKernels();
    yield kernels.setParameters(layers, this.params);
    const edgeAbs = layers.map((layer) => (useActReg ? new Float64Array(layer.nIn * layer.nOut) : null));
    for (let l = 0; l <= last; l++) yield kernels.forwardLayer(l, l === 0 ? x : null, n, edgeAbs[l]!);
    const pred = (yield kernels.readOutput(last)) as Float64Array;
    const gy = new Float64Array(n * this.nOut);
    const loss = predictionLoss(task, pred, y, n, this.nOut, gy);
    grad.fill(0);
    let objective = loss;
    const regCoefs = edgeAbs.map((abs) => {
      if (!abs) return null;
      for (let e = 0; e < abs.length; e++) abs[e]! /= n;
      const { value, coef } = magnitudeRegularizer(abs, reg);
      objective += value;
      return coef;
    });
    if (reg.lamb > 0 && (reg.lambCoef !== 0 || reg.lambCoefDiff !== 0)) objective += coefficientRegularizer(layers, this.params, reg, grad);
    for (let l = last; l >= 0; l--) yield kernels.backwardLayer(l, l === last ? gy : null, regCoefs[l]!, grad, l > 0);
    return { objective, loss };
  }

  /** Kernels for the current layer shapes: a refine (new G) or a pruned width needs newly compiled ones. */
  private currentKernels(): KanKernels {
    const shapes = this.layers.map(shapeOf);
    if (!this.kernels || !sameShapes(shapes, this.kernelShapes)) {
      this.kernels?.dispose();
      this.kernels = this.backend.createKanKernels(shapes);
      this.kernelShapes = shapes;
    }
    return this.kernels;
  }
}

export function hasSymbolicEdges(layers: readonly KanLayer[]): boolean {
  return layers.some((layer) => layer.symMask.some((m) => m !== 0));
}

