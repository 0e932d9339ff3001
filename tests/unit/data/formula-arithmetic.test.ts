import { all, create } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { NeedsMathjs, parseArithmetic } from '../../../app/data/formula-arithmetic';
import { MAX_FORMULA_DEPTH, parseFormula } from '../../../app/data/formula';
import { Rng } from '../../../app/util/rng';

/** The oracle: a math.js instance configured as formula datasets were before formula-arithmetic.ts existed. */
const math = create(all!, { predictable: true });
const aliases: Record<string, string> = { arcsin: 'asin', arccos: 'acos', arctan: 'atan', arcsinh: 'asinh', arccosh: 'acosh', arctanh: 'atanh', ln: 'log' };

function mathjsValues(expression: string, x: Float64Array, n: number, vars: number): Float64Array {
  const spelled = expression.replace(/\b(arcsinh|arccosh|arctanh|arcsin|arccos|arctan|ln)\(/g, (_, name: string) => `${aliases[name]}(`);
  const compiled = math.parse(spelled).compile();
  const out = new Float64Array(n);
  for (let row = 0; row < n; row++) {
    const scope = new Map<string, number>();
    for (let v = 0; v < vars; v++) scope.set(`x${v + 1}`, x[row * vars + v]!);
    const value: unknown = compiled.evaluate(scope);
    out[row] = typeof value === 'number' ? value : Number.NaN;
  }
  return out;
}

/** Inputs that reach every branch: ordinary values, zeros of both signs, negatives, large magnitudes, +-1, NaN. */
function inputs(n: number, vars: number): Float64Array {
  const rng = new Rng(5);
  const special = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 1e300, -1e300, 710, -746, Number.NaN];
  return new Float64Array(n * vars).map((_, q) => (q % 7 === 0 ? special[(q / 7) % special.length]! : rng.range(-3, 3)));
}

const HANDLED = [
  'exp(sin(pi*x1)+x2^2)', 'x1*x2/(x1 - x2)', '-x1^2 + +x2', '2^-x1^2', 'x1^x2^2', '(x1 + x2) * (x1 - x2) / 3.5e-1',
  'sqrt(x1) + log(x2) + ln(x1*x2)', 'log(x1, 2) + log10(x2) - log2(x1)', 'asin(x1) + acos(x2) + atan(x1/x2)',
  'arcsin(x1/3) * arctanh(x2/4) + arccosh(x1) - arcsinh(x2) + arccos(x1) + arctan(x2)', 'sinh(x1) * cosh(x2) - tanh(x1 * x2)',
  'asinh(x1) + acosh(x2) + atanh(x1)', 'abs(x1) * sign(x2) + tan(x1)', 'pow(x1, 3) - pow(x2, 0.5)', 'e^x1 - pi * .25 + 10',
  'x1 ^ 2 + x2 ^ (-1)', '1 / (1 + exp(-x1))', 'x2^0.5', '(x1^2)^(1/2)', 'x1^(1/3) + x2^(2/3)', '(-8)^(1/3) * x1', 'x1^1e400 + x2^-1e400',
];

describe('formula-arithmetic: the plain arithmetic without math.js', () => {
  const vars = 2;
  const n = 700;
  const x = inputs(n, vars);

  for (const expression of HANDLED) {
    it(`reads ${expression} and gives math.js's values bit for bit`, () => {
      expect(parseArithmetic(expression, vars, MAX_FORMULA_DEPTH)).not.toBeNull();
      const ours = parseFormula(expression, vars).evaluate(x, n);
      const theirs = mathjsValues(expression, x, n, vars);
      for (let row = 0; row < n; row++) if (!Object.is(ours[row], theirs[row])) expect([row, ours[row]]).toEqual([row, theirs[row]]);
    });
  }

  it("leaves a negative number to a fractional power to math.js, which takes an odd root's real value", () => {
    const formula = parseArithmetic('x1^(1/3)', 1, MAX_FORMULA_DEPTH)!;
    expect(formula.evaluate(new Float64Array([8]), 0)).toBe(2);
    expect(() => formula.evaluate(new Float64Array([-8]), 0)).toThrow(NeedsMathjs);
    expect(Array.from(parseFormula('x1^(1/3)', 1).evaluate(new Float64Array([8, -8]), 2))).toEqual([2, -2]);
  });

  it('declines what math.js reads its own way or rejects, so that math.js gives its values and messages', () => {
    const declined = [
      '2x1', '2 pi', 'x1 x2', '(x1)(x2)', '2(x1 + 1)', 'sin(x1) x2', 'min(x1, x2)', 'max(x1)', '0x1F + x1', '0b11', '5. * x1', '1.2.3',
      'x1!', "x1'", 'x1 % 2', 'x1 mod 2', 'x1 == x2', 'x1 > 0 ? 1 : 2', 'x1 .* x2', 'x1 .^ 2', '[x1, x2]', 'x1[1]', 'x1.a', 'sin x1', 'sin',
      'sin()', 'sin(x1, x2)', 'log(x1, x2, 2)', 'foo(x1)', 'x3', 'x0', 'x01', 'PI', 'E', 'x1 +', '(x1', 'x1)', '', 'x1\n+ x2', 'x1 # note',
      '"a"', 'x1 = 2', 'x1 to cm', '2 cm', 'f(x) = x', '\u03c0 * x1', '1_000',
    ];
    for (const expression of declined) expect([expression, parseArithmetic(expression, 2, MAX_FORMULA_DEPTH)]).toEqual([expression, null]);
  });

  it('declines trees deeper than math.js evaluates as written (it regroups those), and nesting past the stack', () => {
    const sum = Array.from({ length: MAX_FORMULA_DEPTH + 1 }, () => 'x1').join(' + ');
    expect(parseArithmetic(sum, 1, MAX_FORMULA_DEPTH)).toBeNull();
    expect(parseArithmetic('-'.repeat(100_000) + 'x1', 1, MAX_FORMULA_DEPTH)).toBeNull();
    const shallow = Array.from({ length: MAX_FORMULA_DEPTH - 1 }, () => 'x1').join(' + ');
    expect(parseArithmetic(shallow, 1, MAX_FORMULA_DEPTH)).not.toBeNull();
  });

  it('lists the variables a formula reads', () => {
    expect(parseArithmetic('x3 * sin(x1) + x3', 4, MAX_FORMULA_DEPTH)!.used).toEqual([0, 2]);
  });
});
