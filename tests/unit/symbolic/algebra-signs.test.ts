import { describe, expect, it } from 'vitest';
import { symbolicMath } from '../../../app/symbolic/math';
import { toPython } from '../../../app/symbolic/export';
import { type Expr, evaluateExpr } from '../../../app/symbolic/algebra/expr';
import { fromMathNode, toMathNode } from '../../../app/symbolic/algebra/mathnode';
import { simplifyExpr } from '../../../app/symbolic/algebra/simplify';
import { resolveSigns } from '../../../app/symbolic/algebra/signs';
import type { FitData } from '../../../app/symbolic/algebra/constants';

const VARS = ['x1', 'x2'];
const parse = (s: string): Expr => fromMathNode(symbolicMath().parse(s), VARS);
const text = (e: Expr): string => toPython(toMathNode(simplifyExpr(e), VARS));

/** Rows with x1 on [lo1, hi1] and x2 on [lo2, hi2], evenly spaced; y is unused here. */
function rows(lo1: number, hi1: number, lo2: number, hi2: number, n = 50): FitData {
  const at = (lo: number, hi: number): Float64Array => Float64Array.from({ length: n }, (_, r) => lo + ((hi - lo) * r) / (n - 1));
  return { columns: [at(lo1, hi1), at(lo2, hi2)], y: new Float64Array(n), n };
}

describe('resolveSigns: abs and sign that the rows settle', () => {
  it('drops abs of what keeps one sign on every set, negating what stays negative', () => {
    const positive = [rows(1, 5, -2, 2), rows(0.5, 3, -1, 1)];
    expect(text(resolveSigns(parse('abs(x1)/sqrt(1 - x2^2/9)'), positive))).toBe('x1/sqrt(-x2**2/9 + 1)');
    expect(text(resolveSigns(parse('abs(x1 - 6)*x2'), positive))).toBe('-(x1 - 6)*x2');
    expect(text(resolveSigns(parse('sign(x1)*exp(x2)'), positive))).toBe('exp(x2)');
  });

  it('keeps abs and sign where the sign changes on any set, or where sign would meet zero', () => {
    const sets = [rows(1, 5, -2, 2), rows(-1, 3, 0, 1)];
    expect(text(resolveSigns(parse('abs(x1)*x2'), sets))).toBe('Abs(x1)*x2');
    expect(text(resolveSigns(parse('abs(x2)'), [rows(1, 5, -2, 2)]))).toBe('Abs(x2)');
    // x2 in [0, 1]: abs(x2) is x2 there, sign(x2) is not 1 at 0.
    expect(text(resolveSigns(parse('abs(x2) + sign(x2)'), [rows(1, 5, 0, 1)]))).toBe('sign(x2) + x2');
  });

  it('changes no value on the rows it was given', () => {
    const sets = [rows(1, 5, -2, 2)];
    const e = parse('abs(x1 - 0.5)*sign(x1)*abs(x2) + abs(-x1)');
    const r = resolveSigns(e, sets);
    const before = evaluateExpr(e, sets[0]!.columns, sets[0]!.n);
    const after = evaluateExpr(r, sets[0]!.columns, sets[0]!.n);
    after.forEach((v, q) => expect(v).toBeCloseTo(before[q]!, 12));
    expect(text(r)).toBe('(x1 - 0.5)*Abs(x2) + x1');
  });
});
