/** Rows of a law for the discovery tests: inputs uniform in their ranges (seeded), the target the law's exact value. */
import type { FitData } from '../../../app/symbolic/algebra/constants';
import { Rng } from '../../../app/util/rng';

export function rows(law: (x: number[]) => number, ranges: [number, number][], n = 400, seed = 5): FitData {
  const rng = new Rng(seed);
  const columns = ranges.map(() => new Float64Array(n));
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const x = ranges.map(([lo, hi], i) => (columns[i]![s] = rng.range(lo, hi)));
    y[s] = law(x);
  }
  return { columns, y, n };
}
