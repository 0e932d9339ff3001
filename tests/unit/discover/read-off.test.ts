/**
 * Laws read off noisy rows (app/discover/read-off.ts noisyLaws): the significant terms of a function of y, written back
 * as a formula of y. Discovery judges these beside its KANs, so its end-to-end tests see only whichever route wins a
 * tie; here the read-off itself must give the law.
 */
import { describe, expect, it } from 'vitest';
import { noisyLaws } from '../../../app/discover/read-off';
import { evaluateExpr } from '../../../app/symbolic/algebra/expr';
import { Rng } from '../../../app/util/rng';
import { rows } from './law-rows';

describe('laws read off noisy rows', () => {
  it('finds sqrt(x1*x2 + x3) as the significant terms of y^2, close to the law on fresh rows', () => {
    const law = (x: number[]): number => Math.sqrt(x[0]! * x[1]! + x[2]!);
    const ranges: [number, number][] = [[1, 3], [1, 3], [1, 3]];
    const noisy = rows(law, ranges, 800, 3);
    const rng = new Rng(11);
    noisy.y.forEach((v, s) => (noisy.y[s] = v + 0.01 * rng.normal()));
    const found = noisyLaws(noisy).filter((l) => /significant terms of y\^2/.test(l.source));
    expect(found.length).toBeGreaterThan(0);
    const fresh = rows(law, ranges, 200, 4);
    const errors = found.map(({ expr }) => {
      const values = evaluateExpr(expr, fresh.columns, fresh.n);
      return Math.sqrt(values.reduce((a, v, s) => a + (v - fresh.y[s]!) ** 2, 0) / fresh.n);
    });
    // The noise is 0.01; a law with its constants a little off from the noise errs far below it on exact rows.
    expect(Math.min(...errors)).toBeLessThan(3e-3);
  });
});
