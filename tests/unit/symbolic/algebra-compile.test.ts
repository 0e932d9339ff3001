import { describe, expect, it } from 'vitest';
import { compileExpr } from '../../../app/symbolic/algebra/compile';
import { freeConstants, withConstants } from '../../../app/symbolic/algebra/constants';
import { type Expr, evaluateExpr, exactConst } from '../../../app/symbolic/algebra/expr';
import { Rng } from '../../../app/util/rng';

const c = (value: number): Expr => ({ kind: 'const', value });
const x = (index: number): Expr => ({ kind: 'var', index });

describe('compiled formulas', () => {
  it('give the tree walk\'s values bit for bit, with the free constants taken from the vector in freeConstants order', () => {
    // 1.5*exp(-(x0/x1)^2/2)/(sqrt(2 pi)*x1) + sin(0.3*x2 - 3pi/2) * x0 + log|x2|, with one exact constant.
    const e: Expr = {
      kind: 'add',
      terms: [
        { kind: 'mul', factors: [c(1.5), { kind: 'fn', name: 'exp', arg: { kind: 'mul', factors: [c(-0.5), { kind: 'pow', base: { kind: 'mul', factors: [x(0), { kind: 'pow', base: x(1), exponent: c(-1) }] }, exponent: c(2) }] } }, { kind: 'pow', base: x(1), exponent: c(-1) }] },
        { kind: 'mul', factors: [{ kind: 'fn', name: 'sin', arg: { kind: 'add', terms: [{ kind: 'mul', factors: [c(0.3), x(2)] }, exactConst(-3, 2, 'pi')!] } }, x(0)] },
        { kind: 'fn', name: 'log', arg: { kind: 'fn', name: 'abs', arg: x(2) } },
      ],
    };
    const rng = new Rng(5);
    const n = 257;
    const columns = [0, 1, 2].map(() => Float64Array.from({ length: n }, () => rng.range(-3, 3)));
    const compiled = compileExpr(e, (values) => withConstants(e, values));
    const start = freeConstants(e);
    expect(start).toEqual([1.5, -0.5, -1, 2, -1, 0.3]);
    expect(Array.from(compiled(start, columns, n))).toEqual(Array.from(evaluateExpr(e, columns, n)));
    const moved = start.map((v, k) => v + 0.1 * (k + 1));
    expect(Array.from(compiled(moved, columns, n))).toEqual(Array.from(evaluateExpr(withConstants(e, moved), columns, n)));
  });

  it('says which input is missing, as the tree walk does', () => {
    const e: Expr = { kind: 'add', terms: [x(0), x(3)] };
    expect(() => compileExpr(e, () => e)([], [new Float64Array(2)], 2)).toThrow(/uses input 4, but only 1 input columns were given/);
  });
});
