import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { symbolicMath } from '../../../app/symbolic/math';
import { toPython } from '../../../app/symbolic/export';
import { fromMathNode, toMathNode } from '../../../app/symbolic/algebra/mathnode';
import { simplifyExpr } from '../../../app/symbolic/algebra/simplify';
import { ALGEBRA_CASES } from './algebra-cases';

const VARS = ['x1', 'x2', 'x3'];
const hasSympy = spawnSync('/usr/bin/python3', ['-c', 'import sympy'], { encoding: 'utf8' }).status === 0;

/** Cases whose result is right but larger than the law: x1 > 0 is not known to the algebra, so sqrt(x1^2) stays |x1|. */
const NEEDS_POSITIVITY = new Set(['sqrt(x1^2 * x2^4)', 'sqrt(4*x1^2)']);

/**
 * For each (ours, expected, input): whether ours equals expected and the input at 8 random points in [1, 5]^3 (to 1e-9
 * relative, in 30-digit arithmetic), and whether ours is no larger than expected (count_ops plus the number of
 * floats other than +-1, both read without evaluation so that SymPy does not tidy them first).
 */
const ORACLE = `
import json, sys, random
from sympy import sympify, Symbol, count_ops, Float, N
x = {name: Symbol(name, positive=True) for name in ('x1', 'x2', 'x3')}
random.seed(1)
points = [{s: random.uniform(1, 5) for s in x.values()} for _ in range(8)]
def size(text):
    e = sympify(text, locals=x, evaluate=False)
    return int(count_ops(e)) + len([a for a in e.atoms(Float) if abs(a) != 1])
def value(e, p):
    return complex(N(e.subs(p), 30))
out = []
for ours, expected, given in json.load(sys.stdin):
    o, w, g = (sympify(t, locals=x) for t in (ours, expected, given.replace('^', '**')))
    equal = all(abs(value(o, p) - value(w, p)) <= 1e-9 * (1 + abs(value(w, p))) and abs(value(g, p) - value(w, p)) <= 1e-9 * (1 + abs(value(w, p))) for p in points)
    out.append({'equal': equal, 'law': size(ours) <= size(expected)})
print(json.dumps(out))
`;

describe.skipIf(!hasSympy)('formula algebra against SymPy (skipped: /usr/bin/python3 has no sympy)', () => {
  it('simplifies every test expression to its law, equal in value and no larger', () => {
    const ours = ALGEBRA_CASES.map((c) => toPython(toMathNode(simplifyExpr(fromMathNode(symbolicMath().parse(c.input), VARS)), VARS)));
    const run = spawnSync('/usr/bin/python3', ['-c', ORACLE], {
      input: JSON.stringify(ALGEBRA_CASES.map((c, q) => [ours[q], c.expected, c.input])),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const verdicts = JSON.parse(run.stdout) as { equal: boolean; law: boolean }[];
    ALGEBRA_CASES.forEach((c, q) => {
      expect(verdicts[q]!.equal, `${c.input} -> ${ours[q]} (want ${c.expected})`).toBe(true);
      expect(verdicts[q]!.law, `${c.input} -> ${ours[q]} (want ${c.expected})`).toBe(!NEEDS_POSITIVITY.has(c.input));
    });
  }, 120_000);
});
