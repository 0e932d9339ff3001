/** Parameter counts for the setup form: the KAN's from its shape, the MLP's (and the width matching a KAN) from app/mlp. */
export { matchMlpWidth, mlpParameterCount } from '../../../app/mlp/mlp';

/** A fresh KAN's trainable parameters: per edge G + k spline coefficients plus w_b and w_s (as Kan.parameterCount). */
export function kanParameterCount(width: readonly number[], grid: number, k: number): number {
  let count = 0;
  for (let l = 0; l + 1 < width.length; l++) count += width[l]! * width[l + 1]! * (grid + k + 2);
  return count;
}
