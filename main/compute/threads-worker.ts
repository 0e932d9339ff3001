/**
 * Entry of a compute worker thread: runs the slices of layer passes the threads backend sends, and signals completion
 * through shared memory (the main thread waits with Atomics.wait, so it cannot receive messages meanwhile).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type SliceKernels, type SliceOp, SliceRunner, slicePasses } from './slices';

interface ThreadShared {
  /** [0]: finished slices of the current pass; [1]: 1 when one of them failed. */
  control: Int32Array;
  /** UTF-8 text of the first failure. */
  errorText: Uint8Array;
  kernels: SliceKernels;
}

const { control, errorText, kernels } = workerData as ThreadShared;
const runner = new SliceRunner(() => slicePasses(kernels));

parentPort!.on('message', (op: SliceOp) => {
  try {
    runner.run(op);
  } catch (err) {
    if (Atomics.compareExchange(control, 1, 0, 1) === 0) {
      const text = new TextEncoder().encode(err instanceof Error ? err.message : String(err)).subarray(0, errorText.length - 1);
      errorText.fill(0);
      errorText.set(text);
    }
  }
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
});
parentPort!.postMessage('ready');
