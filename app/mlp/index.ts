/** Public entry of the MLP baseline. */
export { type DenseMatmul, Mlp, matchMlpWidth, mlpParameterCount } from './mlp';
export type { MlpActivation, MlpSpec } from './mlp';
