/**
 * The MLP baseline: dense layers over one flat Float64Array, its seeded initialisation, the training objective
 * (prediction loss + optional L2 on weights) with a hand-written gradient, and parameter-count matching against a KAN.
 *
 * Layout of params: for each layer l (inputs width[l] -> outputs width[l+1]), W_l [out][in] row-major, then b_l [out].
 * Hidden layers apply the activation; the last layer is linear.
 */
import type { Batch, DifferentiableModel, Task } from '../train/types';
import { predictionLoss } from '../train/loss';
import type { Rng } from '../util/rng';

export type MlpActivation = 'silu' | 'tanh' | 'relu';

export interface MlpSpec {
  /** Nodes per layer, inputs first: [nIn, h1, ..., nOut]; at least 2 entries, each >= 1. */
  width: number[];
  activation: MlpActivation;
  /** lambda of the term (lambda / 2) * sum(W^2) over weights (not biases), so its gradient is lambda * W as torch's weight_decay; default 0. */
  weightDecay?: number;
}

const ACTIVATIONS: readonly MlpActivation[] = ['silu', 'tanh', 'relu'];

/**
 * Below this fraction of non-zero entries a layer input is multiplied in compressed form (MNIST pixels, ReLU outputs):
 * the sparse kernel costs about twice the dense one per multiply-add, so it wins once more than ~half the entries are zero.
 */
const SPARSE_DENSITY = 0.35;

/** Rows of the second operand kept hot in cache while every row of the first streams past them. A multiple of 3. */
const PANEL_ROWS = 48;

/** Compressed rows (CSR) of a matrix: the non-zeros of row r are column[rowStart[r] .. rowStart[r+1]) with their value. */
interface SparseRows {
  rowStart: Int32Array;
  column: Int32Array;
  value: Float64Array;
}

/** c [rows][cols] = a [rows][inner] . b [inner][cols] (ComputeBackend.matmul of a synchronous backend). */
export type DenseMatmul = (a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number) => Float64Array;

export class Mlp implements DifferentiableModel {
  readonly spec: MlpSpec;
  readonly nIn: number;
  readonly nOut: number;
  params: Float64Array;

  private readonly width: number[];
  private readonly weightOffset: number[];
  private readonly biasOffset: number[];
  private readonly weightDecay: number;

  // Work buffers, kept across calls and grown only when a batch needs more room.
  private capacity = 0;
  /** activation[l]: [n][width[l]] for l = 1..L (activation[L] holds the predictions); activation[0] is the caller's x. */
  private activation: Float64Array[] = [];
  /** slope[l]: [n][width[l]], derivative of the activation at the pre-activation, hidden layers only. */
  private slope: Float64Array[] = [];
  /** delta[l]: [n][width[l]], d(loss)/d(pre-activation of layer l). */
  private delta: Float64Array[] = [];
  /** Whether activation[l] was multiplied in compressed form in the last forward pass (its density decides the backward too). */
  private inputIsSparse: boolean[] = [];
  /** A weight matrix transposed, W^T [in][out], and the transposed weight gradient of the sparse path. */
  private weightsTransposed: Float64Array;
  private weightGradTransposed: Float64Array;
  /** Transposed layer input [in][n] and output gradient [out][n] for the dense weight gradient. */
  private inputTransposed: Float64Array = new Float64Array(0);
  private deltaTransposed: Float64Array = new Float64Array(0);
  private sparse: SparseRows = { rowStart: new Int32Array(0), column: new Int32Array(0), value: new Float64Array(0) };
  /** A compute backend's dense product for the dense paths (see useMatmul), or null for this file's own kernels. */
  private matmul: DenseMatmul | null = null;

  private constructor(spec: MlpSpec, params: Float64Array) {
    validateSpec(spec);
    const expected = mlpParameterCount(spec.width);
    if (params.length !== expected) {
      throw new Error(`MLP ${JSON.stringify(spec.width)} has ${expected} parameters but the snapshot holds ${params.length}: restore it with the width it was saved with`);
    }
    this.spec = { width: [...spec.width], activation: spec.activation, weightDecay: spec.weightDecay ?? 0 };
    this.width = [...spec.width];
    this.nIn = this.width[0]!;
    this.nOut = this.width[this.width.length - 1]!;
    this.weightDecay = spec.weightDecay ?? 0;
    this.params = params;
    this.weightOffset = [];
    this.biasOffset = [];
    let offset = 0;
    let largestMatrix = 0;
    for (let l = 0; l + 1 < this.width.length; l++) {
      const size = this.width[l]! * this.width[l + 1]!;
      this.weightOffset.push(offset);
      this.biasOffset.push(offset + size);
      offset += size + this.width[l + 1]!;
      largestMatrix = Math.max(largestMatrix, size);
    }
    this.weightsTransposed = new Float64Array(largestMatrix);
    this.weightGradTransposed = new Float64Array(largestMatrix);
  }

  /** Xavier-uniform weights for tanh/silu, Kaiming(He)-uniform for relu, zero biases; draws layer by layer, row-major. */
  static create(spec: MlpSpec, rng: Rng): Mlp {
    const params = new Float64Array(mlpParameterCount(spec.width));
    let offset = 0;
    for (let l = 0; l + 1 < spec.width.length; l++) {
      const fanIn = spec.width[l]!;
      const fanOut = spec.width[l + 1]!;
      const bound = spec.activation === 'relu' ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < fanIn * fanOut; i++) params[offset + i] = rng.range(-bound, bound);
      offset += fanIn * fanOut + fanOut;
    }
    return new Mlp(spec, params);
  }

  /** Restores a snapshot; the parameters are copied, so the snapshot stays untouched by training. */
  static fromParams(spec: MlpSpec, params: Float64Array): Mlp {
    return new Mlp(spec, Float64Array.from(params));
  }

  parameterCount(): number {
    return this.params.length;
  }

  /**
   * Runs the dense products (inputs, hidden activations and gradients that are not mostly zeros) through a compute
   * backend's matmul, e.g. the WebAssembly SIMD one, or through this file's kernels again with null. Sparse inputs keep
   * their compressed path either way.
   */
  useMatmul(matmul: DenseMatmul | null): void {
    this.matmul = matmul;
  }

  /** Predictions [n][nOut] for x [n][nIn], in a new array. */
  forward(x: Float64Array, n: number): Float64Array {
    this.checkInputs(x, n);
    this.forwardInto(x, n, false);
    return this.activation[this.width.length - 1]!.slice(0, n * this.nOut);
  }

  lossAndGrad(batch: Batch, task: Task, grad: Float64Array): { objective: number; loss: number } {
    const { x, y, n } = batch;
    this.checkInputs(x, n);
    if (n < 1) throw new Error('MLP loss needs a batch of at least one sample');
    if (grad.length !== this.params.length) throw new Error(`gradient buffer has ${grad.length} entries, the MLP has ${this.params.length} parameters`);
    checkTargets(task, y, n, this.nOut);

    const L = this.width.length - 1;
    this.forwardInto(x, n, true);
    const loss = predictionLoss(task, this.activation[L]!, y, n, this.nOut, this.delta[L]!);
    this.backward(x, n, grad);

    let penalty = 0;
    if (this.weightDecay > 0) {
      const params = this.params;
      for (let l = 0; l < L; l++) {
        const start = this.weightOffset[l]!;
        const end = this.biasOffset[l]!;
        let sumSquares = 0;
        for (let i = start; i < end; i++) {
          const w = params[i]!;
          sumSquares += w * w;
          grad[i] = grad[i]! + this.weightDecay * w;
        }
        penalty += 0.5 * this.weightDecay * sumSquares;
      }
    }
    return { objective: loss + penalty, loss };
  }

  private checkInputs(x: Float64Array, n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new Error(`batch size must be a non-negative integer; got ${n}`);
    if (x.length < n * this.nIn) throw new Error(`inputs hold ${x.length} numbers, but ${n} samples of ${this.nIn} features need ${n * this.nIn}`);
    const expected = mlpParameterCount(this.width);
    if (this.params.length !== expected) throw new Error(`MLP params has ${this.params.length} entries, the network ${JSON.stringify(this.width)} needs ${expected}`);
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    const L = this.width.length - 1;
    this.activation = [new Float64Array(0)];
    this.slope = [new Float64Array(0)];
    this.delta = [new Float64Array(0)];
    for (let l = 1; l <= L; l++) {
      const size = n * this.width[l]!;
      this.activation.push(new Float64Array(size));
      this.slope.push(new Float64Array(l < L ? size : 0));
      this.delta.push(new Float64Array(size));
    }
    this.capacity = n;
  }

  /** Fills activation[1..L]; with withSlopes, also the activation derivatives the backward pass needs. */
  private forwardInto(x: Float64Array, n: number, withSlopes: boolean): void {
    this.ensureCapacity(n);
    const L = this.width.length - 1;
    const params = this.params;
    for (let l = 0; l < L; l++) {
      const nIn = this.width[l]!;
      const nOut = this.width[l + 1]!;
      const input = l === 0 ? x : this.activation[l]!;
      const output = this.activation[l + 1]!;
      const sparse = countNonZero(input, n * nIn) < SPARSE_DENSITY * n * nIn;
      this.inputIsSparse[l] = sparse;
      if (sparse) {
        transpose(params, this.weightOffset[l]!, nOut, nIn, this.weightsTransposed);
        this.compressRows(input, n, nIn);
        multiplySparse(this.sparse, n, this.weightsTransposed, 0, nOut, output);
      } else if (this.matmul) {
        // output [n][out] = input [n][in] . W^T [in][out]
        transpose(params, this.weightOffset[l]!, nOut, nIn, this.weightsTransposed);
        output.set(this.matmul(input, this.weightsTransposed, n, nIn, nOut));
      } else {
        multiplyTransposed(input, 0, params, this.weightOffset[l]!, output, 0, n, nOut, nIn);
      }
      const bias = this.biasOffset[l]!;
      for (let s = 0; s < n; s++) {
        const row = s * nOut;
        for (let o = 0; o < nOut; o++) output[row + o] = output[row + o]! + params[bias + o]!;
      }
      if (l + 1 < L) activate(this.spec.activation, output, n * nOut, withSlopes ? this.slope[l + 1]! : null);
    }
  }

  /** Writes d(loss)/d(params) into grad from delta[L] (set by the loss) and the buffers of the last forward pass. */
  private backward(x: Float64Array, n: number, grad: Float64Array): void {
    const params = this.params;
    for (let l = this.width.length - 2; l >= 0; l--) {
      const nIn = this.width[l]!;
      const nOut = this.width[l + 1]!;
      const input = l === 0 ? x : this.activation[l]!;
      const delta = this.delta[l + 1]!;
      const weights = this.weightOffset[l]!;

      // dW [out][in] = delta^T [out][n] . input [n][in]
      if (this.inputIsSparse[l]) {
        this.compressColumns(input, n, nIn);
        multiplySparse(this.sparse, nIn, delta, 0, nOut, this.weightGradTransposed);
        transpose(this.weightGradTransposed, 0, nIn, nOut, grad, weights);
      } else if (this.matmul) {
        this.deltaTransposed = grown(this.deltaTransposed, n * nOut);
        transpose(delta, 0, n, nOut, this.deltaTransposed);
        grad.set(this.matmul(this.deltaTransposed, input, nOut, n, nIn), weights);
      } else {
        this.inputTransposed = grown(this.inputTransposed, n * nIn);
        this.deltaTransposed = grown(this.deltaTransposed, n * nOut);
        transpose(input, 0, n, nIn, this.inputTransposed);
        transpose(delta, 0, n, nOut, this.deltaTransposed);
        multiplyTransposed(this.deltaTransposed, 0, this.inputTransposed, 0, grad, weights, nOut, nIn, n);
      }

      const bias = this.biasOffset[l]!;
      for (let o = 0; o < nOut; o++) grad[bias + o] = 0;
      for (let s = 0; s < n; s++) {
        const row = s * nOut;
        for (let o = 0; o < nOut; o++) grad[bias + o] = grad[bias + o]! + delta[row + o]!;
      }

      if (l === 0) break;
      // d(input) [n][in] = delta [n][out] . W [out][in], then through the activation of layer l
      const inputDelta = this.delta[l]!;
      if (countNonZero(delta, n * nOut) < SPARSE_DENSITY * n * nOut) {
        this.compressRows(delta, n, nOut);
        multiplySparse(this.sparse, n, params, weights, nIn, inputDelta);
      } else if (this.matmul) {
        inputDelta.set(this.matmul(delta, params.subarray(weights, weights + nOut * nIn), n, nOut, nIn));
      } else {
        transpose(params, weights, nOut, nIn, this.weightsTransposed);
        multiplyTransposed(delta, 0, this.weightsTransposed, 0, inputDelta, 0, n, nIn, nOut);
      }
      const slope = this.slope[l]!;
      for (let i = 0; i < n * nIn; i++) inputDelta[i] = inputDelta[i]! * slope[i]!;
    }
  }

  /** CSR of matrix [rows][cols] into this.sparse. */
  private compressRows(matrix: Float64Array, rows: number, cols: number): void {
    const sparse = this.reserveSparse(rows, countNonZero(matrix, rows * cols));
    const { rowStart, column, value } = sparse;
    let next = 0;
    for (let r = 0; r < rows; r++) {
      rowStart[r] = next;
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = matrix[base + c]!;
        if (v !== 0) {
          column[next] = c;
          value[next++] = v;
        }
      }
    }
    rowStart[rows] = next;
  }

  /** CSR of the transpose of matrix [rows][cols] into this.sparse: one compressed row per column. */
  private compressColumns(matrix: Float64Array, rows: number, cols: number): void {
    const sparse = this.reserveSparse(cols, countNonZero(matrix, rows * cols));
    const { rowStart, column, value } = sparse;
    rowStart.fill(0, 0, cols + 1);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) if (matrix[base + c] !== 0) rowStart[c + 1] = rowStart[c + 1]! + 1;
    }
    for (let c = 0; c < cols; c++) rowStart[c + 1] = rowStart[c + 1]! + rowStart[c]!;
    // rowStart[c] serves as the fill cursor of column c, then is shifted back to the start.
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = matrix[base + c]!;
        if (v !== 0) {
          const at = rowStart[c]!;
          column[at] = r;
          value[at] = v;
          rowStart[c] = at + 1;
        }
      }
    }
    for (let c = cols; c > 0; c--) rowStart[c] = rowStart[c - 1]!;
    rowStart[0] = 0;
  }

  private reserveSparse(rows: number, nonZeros: number): SparseRows {
    const sparse = this.sparse;
    if (sparse.rowStart.length < rows + 1) sparse.rowStart = new Int32Array(rows + 1);
    if (sparse.value.length < nonZeros) {
      sparse.column = new Int32Array(nonZeros);
      sparse.value = new Float64Array(nonZeros);
    }
    return sparse;
  }
}

export function mlpParameterCount(width: number[]): number {
  validateWidth(width);
  let count = 0;
  for (let l = 0; l + 1 < width.length; l++) count += width[l]! * width[l + 1]! + width[l + 1]!;
  return count;
}

/**
 * Hidden width h such that an MLP [nIn, h, ..., h, nOut] with `hiddenLayers` hidden layers has a parameter count closest
 * to target (ties go to the smaller h; never below 1). Used by the UI's "match the KAN's parameter count" helper.
 */
export function matchMlpWidth(nIn: number, nOut: number, hiddenLayers: number, targetParams: number): number {
  validateWidth([nIn, nOut]);
  if (!Number.isInteger(hiddenLayers) || hiddenLayers < 1) throw new Error(`an MLP needs at least one hidden layer to match a parameter count; got hiddenLayers = ${hiddenLayers}`);
  if (!Number.isFinite(targetParams) || targetParams < 0) throw new Error(`target parameter count must be a non-negative number; got ${targetParams}`);
  // count(h) = (H - 1) h^2 + (nIn + H + nOut) h + nOut, increasing in h >= 1.
  const a = hiddenLayers - 1;
  const b = nIn + hiddenLayers + nOut;
  const c = nOut - targetParams;
  const root = a === 0 ? -c / b : (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
  const count = (h: number): number => a * h * h + b * h + nOut;
  let best = 1;
  for (const h of [Math.floor(root) - 1, Math.floor(root), Math.floor(root) + 1, Math.floor(root) + 2]) {
    if (h >= 1 && Math.abs(count(h) - targetParams) < Math.abs(count(best) - targetParams)) best = h;
  }
  return best;
}

function validateWidth(width: number[]): void {
  if (!Array.isArray(width) || width.length < 2) throw new Error(`MLP width must list at least an input and an output layer, e.g. [2, 16, 1]; got ${JSON.stringify(width)}`);
  width.forEach((w, l) => {
    if (!Number.isInteger(w) || w < 1) throw new Error(`MLP width[${l}] must be a positive integer; got ${w}`);
  });
}

function validateSpec(spec: MlpSpec): void {
  validateWidth(spec.width);
  if (!ACTIVATIONS.includes(spec.activation)) throw new Error(`MLP activation must be one of ${ACTIVATIONS.join(', ')}; got ${String(spec.activation)}`);
  const decay = spec.weightDecay ?? 0;
  if (!Number.isFinite(decay) || decay < 0) throw new Error(`MLP weightDecay must be a non-negative number; got ${decay}`);
}

function checkTargets(task: Task, y: Float64Array, n: number, nOut: number): void {
  if (task === 'regression') {
    if (y.length < n * nOut) throw new Error(`regression targets hold ${y.length} numbers, but ${n} samples of ${nOut} outputs need ${n * nOut}`);
    return;
  }
  if (y.length < n) throw new Error(`classification needs one label per sample: ${n} samples but ${y.length} labels`);
  for (let s = 0; s < n; s++) {
    const label = y[s]!;
    if (!Number.isInteger(label) || label < 0 || label >= nOut) {
      throw new Error(`class label ${label} of sample ${s} is not an integer in 0..${nOut - 1}: number the classes from 0 and give the MLP one output per class`);
    }
  }
}

function grown(buffer: Float64Array, size: number): Float64Array {
  return buffer.length >= size ? buffer : new Float64Array(size);
}

function countNonZero(values: Float64Array, count: number): number {
  let nonZero = 0;
  for (let i = 0; i < count; i++) if (values[i] !== 0) nonZero++;
  return nonZero;
}

/** In place over values [count]; slope (if given) receives the derivative at the pre-activation. */
function activate(kind: MlpActivation, values: Float64Array, count: number, slope: Float64Array | null): void {
  if (kind === 'tanh') {
    for (let i = 0; i < count; i++) {
      const a = Math.tanh(values[i]!);
      values[i] = a;
      if (slope) slope[i] = 1 - a * a;
    }
  } else if (kind === 'relu') {
    for (let i = 0; i < count; i++) {
      const positive = values[i]! > 0;
      if (!positive) values[i] = 0;
      if (slope) slope[i] = positive ? 1 : 0;
    }
  } else {
    for (let i = 0; i < count; i++) {
      const z = values[i]!;
      const sigmoid = 1 / (1 + Math.exp(-z));
      values[i] = z * sigmoid;
      if (slope) slope[i] = sigmoid * (1 + z * (1 - sigmoid));
    }
  }
}

/** out[outOffset + c*rows + r] = matrix[offset + r*cols + c]; tiled so both sides stay in cache. */
function transpose(matrix: Float64Array, offset: number, rows: number, cols: number, out: Float64Array, outOffset = 0): void {
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const from = offset + r * cols;
        for (let c = c0; c < c1; c++) out[outOffset + c * rows + r] = matrix[from + c]!;
      }
    }
  }
}

/**
 * c [rows][cols] = p [rows][inner] . q [cols][inner]^T (each read from its offset). Both operands are walked along
 * contiguous rows; a 3x3 block of outputs per pass reuses every loaded number three times.
 */
function multiplyTransposed(
  p: Float64Array, pOffset: number, q: Float64Array, qOffset: number, c: Float64Array, cOffset: number,
  rows: number, cols: number, inner: number,
): void {
  const blockRows = rows - (rows % 3);
  for (let m0 = 0; m0 < cols; m0 += PANEL_ROWS) {
    const m1 = Math.min(cols, m0 + PANEL_ROWS);
    for (let r = 0; r < blockRows; r += 3) {
      const p0 = pOffset + r * inner;
      const p1 = p0 + inner;
      const p2 = p1 + inner;
      const c0 = cOffset + r * cols;
      const c1 = c0 + cols;
      const c2 = c1 + cols;
      let m = m0;
      for (; m + 2 < m1; m += 3) {
        const q0 = qOffset + m * inner;
        const q1 = q0 + inner;
        const q2 = q1 + inner;
        let s00 = 0, s01 = 0, s02 = 0, s10 = 0, s11 = 0, s12 = 0, s20 = 0, s21 = 0, s22 = 0;
        for (let k = 0; k < inner; k++) {
          const x0 = p[p0 + k]!, x1 = p[p1 + k]!, x2 = p[p2 + k]!;
          const w0 = q[q0 + k]!, w1 = q[q1 + k]!, w2 = q[q2 + k]!;
          s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2;
          s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2;
          s20 += x2 * w0; s21 += x2 * w1; s22 += x2 * w2;
        }
        c[c0 + m] = s00; c[c0 + m + 1] = s01; c[c0 + m + 2] = s02;
        c[c1 + m] = s10; c[c1 + m + 1] = s11; c[c1 + m + 2] = s12;
        c[c2 + m] = s20; c[c2 + m + 1] = s21; c[c2 + m + 2] = s22;
      }
      for (; m < m1; m++) {
        const q0 = qOffset + m * inner;
        let s0 = 0, s1 = 0, s2 = 0;
        for (let k = 0; k < inner; k++) {
          const w = q[q0 + k]!;
          s0 += p[p0 + k]! * w; s1 += p[p1 + k]! * w; s2 += p[p2 + k]! * w;
        }
        c[c0 + m] = s0; c[c1 + m] = s1; c[c2 + m] = s2;
      }
    }
  }
  for (let r = blockRows; r < rows; r++) {
    const p0 = pOffset + r * inner;
    for (let m = 0; m < cols; m++) {
      const q0 = qOffset + m * inner;
      let s = 0;
      for (let k = 0; k < inner; k++) s += p[p0 + k]! * q[q0 + k]!;
      c[cOffset + r * cols + m] = s;
    }
  }
}

/**
 * c [rows][cols] = S [rows][K] . b [K][cols] with S in compressed rows and b read from bOffset: each output row is a sum
 * of rows of b, four at a time so the output row is loaded and stored once per four.
 */
function multiplySparse(sparse: SparseRows, rows: number, b: Float64Array, bOffset: number, cols: number, c: Float64Array): void {
  const { rowStart, column, value } = sparse;
  for (let r = 0; r < rows; r++) {
    const out = r * cols;
    c.fill(0, out, out + cols);
    const end = rowStart[r + 1]!;
    let t = rowStart[r]!;
    for (; t + 3 < end; t += 4) {
      const v0 = value[t]!, v1 = value[t + 1]!, v2 = value[t + 2]!, v3 = value[t + 3]!;
      const b0 = bOffset + column[t]! * cols;
      const b1 = bOffset + column[t + 1]! * cols;
      const b2 = bOffset + column[t + 2]! * cols;
      const b3 = bOffset + column[t + 3]! * cols;
      for (let j = 0; j < cols; j++) c[out + j] = c[out + j]! + v0 * b[b0 + j]! + v1 * b[b1 + j]! + v2 * b[b2 + j]! + v3 * b[b3 + j]!;
    }
    for (; t < end; t++) {
      const v = value[t]!;
      const b0 = bOffset + column[t]! * cols;
      for (let j = 0; j < cols; j++) c[out + j] = c[out + j]! + v * b[b0 + j]!;
    }
  }
}
