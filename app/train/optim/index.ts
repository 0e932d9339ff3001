/** The optimisers over flat parameter vectors: L-BFGS with strong-Wolfe line search, and Adam. */
export { Lbfgs } from './lbfgs';
export type { LbfgsOptions, LbfgsStepResult, ObjectiveFn } from './lbfgs';
export { Adam } from './adam';
export type { AdamOptions } from './adam';
