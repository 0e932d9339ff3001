/**
 * Laws of one input read off the data (app/discover/structures.ts univariateCandidates): library functions of x, pairs
 * of atoms, and library functions of an inner function of x.
 */
import { describe, expect, it } from 'vitest';
import { univariateCandidates } from '../../../app/discover/structures';
import { BUILTIN_LIBRARY } from '../../../app/symbolic/library';
import { evaluateExpr } from '../../../app/symbolic/algebra/expr';
import { rows } from './law-rows';

/** The RMSE of each candidate on fresh rows of the law, by source. */
function errors(law: (x: number[]) => number, range: [number, number]): { source: string; error: number }[] {
  const data = rows(law, [range], 600, 3);
  const fresh = rows(law, [range], 200, 4);
  return univariateCandidates(data, 'x1', BUILTIN_LIBRARY).map(({ expr, source }) => {
    const values = evaluateExpr(expr, fresh.columns, fresh.n);
    return { source, error: Math.sqrt(values.reduce((a, v, s) => a + (v - fresh.y[s]!) ** 2, 0) / fresh.n) };
  });
}

describe('laws of one input read off the data', () => {
  it('reads a library function of x^2, 1/x, log x or exp x as a composition, where x is in its domain', () => {
    const cases: [string, (x: number[]) => number, [number, number], string][] = [
      // Even on a range symmetric about 0: no function of a*x + b follows it.
      ['sin(x^2)', (x) => Math.sin(x[0]! ** 2), [-1.5, 1.5], 'univariate of x^2'],
      ['atan(x^2)', (x) => Math.atan(x[0]! ** 2), [-2, 2], 'univariate of x^2'],
      ['tanh(1/x)', (x) => Math.tanh(1 / x[0]!), [0.5, 3], 'univariate of 1/x'],
      ['sin(log x)', (x) => Math.sin(Math.log(x[0]!)), [0.5, 5], 'univariate of log x'],
      ['sin(exp x)', (x) => Math.sin(Math.exp(x[0]!)), [-1, 1.5], 'univariate of exp x'],
    ];
    for (const [name, law, range, source] of cases) {
      const found = errors(law, range).filter((c) => c.source === source);
      expect(found.length, name).toBeGreaterThan(0);
      expect(Math.min(...found.map((c) => c.error)), name).toBeLessThan(1e-6);
      // Without the inner function the best single function of x is far off.
      expect(Math.min(...errors(law, range).filter((c) => c.source === 'univariate').map((c) => c.error)), name).toBeGreaterThan(1e-4);
    }
  });

  it('offers no composition through log x where x reaches 0 or below', () => {
    expect(errors((x) => Math.sin(x[0]!), [-1, 1]).some((c) => c.source === 'univariate of log x')).toBe(false);
  });
});
