/** The compute backend that training runs on, as recorded with every run. */

/** The runner trains on the plain TypeScript Float64 kernels, the reference backend. */
export const TRAINING_BACKEND = 'ts';
