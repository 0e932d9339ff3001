/** Public entry of the MLP baseline. */
export { Mlp, matchMlpWidth, mlpParameterCount } from './mlp';
export type { MlpActivation, MlpSpec } from './mlp';
