/**
 * Laws read off the data directly, without a KAN: sparse polynomials, ratios of polynomials and sums of functions of the
 * target and of functions of it (1/y, log|y|, y^2, 1/y^2), exact ones (exactLaws) where the rows are exact to rounding,
 * and their counterparts of significant terms (noisyLaws) where they are noisy. Each is written back as a formula of y;
 * discover judges them with every other formula on the validation rows.
 */
import type { FitData } from '../symbolic/algebra/constants';
import type { Expr } from '../symbolic/algebra/expr';
import { exactFunctionSum, exactPolynomial, significantFunctionSum, significantPolynomial } from './polynomial';
import { exactRational, significantRational } from './rational';
import { productSign } from './structures';

/** A function of y that a law may be a polynomial in, where y keeps one sign; its formula is mapped back. */
interface PolynomialTarget {
  name: string;
  /** log|x_i| terms join the monomials (a product of powers and exponentials is a sum of logs and terms in log|y|). */
  logs: boolean;
  forward: (y: number) => number;
  /** The derivative of forward: noise of size s in y is noise of size |forward'(y)| s in forward(y). */
  slope: (y: number) => number;
  /** y as an expression of the polynomial found for forward(y), given y's sign. */
  inverse: (polynomial: Expr, sign: number) => Expr;
  /** Whether a ratio of polynomials is sought in it too (a ratio in 1/y or 1/y^2 is one in y or y^2 upside down). */
  ratio: boolean;
}

const power = (base: Expr, exponent: number): Expr => ({ kind: 'pow', base, exponent: { kind: 'const', value: exponent } });
const signed = (sign: number, e: Expr): Expr => (sign === 1 ? e : { kind: 'mul', factors: [{ kind: 'const', value: sign }, e] });

const POLYNOMIAL_TARGETS: readonly PolynomialTarget[] = [
  // Sums of reciprocals: 1/(1/x1 + x2).
  { name: '1/y', logs: false, forward: (v) => 1 / v, slope: (v) => -1 / (v * v), inverse: (p) => power(p, -1), ratio: false },
  // Products of powers and exponentials: x1*exp(-x1*x2).
  { name: 'log|y|', logs: true, forward: (v) => Math.log(Math.abs(v)), slope: (v) => 1 / v, inverse: (p, sign) => signed(sign, { kind: 'fn', name: 'exp', arg: p }), ratio: false },
  // Roots of sums and of ratios: sqrt(x1*x2 + x3), distances, x1/sqrt(x2^2 + x3^2).
  { name: 'y^2', logs: false, forward: (v) => v * v, slope: (v) => 2 * v, inverse: (p, sign) => signed(sign, power(p, 0.5)), ratio: true },
  // Lorentz factors and inverse distances: x1/sqrt(x2^2 + x3^2).
  { name: '1/y^2', logs: false, forward: (v) => 1 / (v * v), slope: (v) => -2 / (v * v * v), inverse: (p, sign) => signed(sign, power(p, -0.5)), ratio: false },
];

/**
 * Exact sparse polynomials (polynomial.ts) of y, and where y keeps one sign of the POLYNOMIAL_TARGETS (and ratios of
 * polynomials where the target asks for them), each written back as a formula of y; failing the polynomial of y, a sum
 * of functions, and with one input a sum of functions of each target where neither polynomial nor ratio fits.
 */
function polynomialLaws(data: FitData): { expr: Expr; source: string }[] {
  const out: { expr: Expr; source: string }[] = [];
  const direct = exactPolynomial(data);
  if (direct) out.push({ expr: direct, source: 'polynomial' });
  const functions = direct ? null : exactFunctionSum(data);
  if (functions) out.push({ expr: functions, source: 'sum of functions' });
  const sign = productSign(data.y);
  if (sign === 0) return out;
  for (const t of POLYNOMIAL_TARGETS) {
    const y = data.y.map(t.forward);
    const found = exactPolynomial({ ...data, y }, t.logs);
    if (found) out.push({ expr: t.inverse(found, sign), source: `polynomial of ${t.name}` });
    const ratio = found || !t.ratio ? null : exactRational({ ...data, y });
    if (ratio) out.push({ expr: t.inverse(ratio, sign), source: `ratio of polynomials of ${t.name}` });
    // One input: a sum of functions of the target too (x^3/(exp(x) - 1) is one in 1/y); over several inputs the
    // dictionary of each target would cost as much as the polynomial searches together.
    const sum = found || ratio || data.columns.length !== 1 ? null : exactFunctionSum({ ...data, y });
    if (sum) out.push({ expr: t.inverse(sum, sign), source: `sum of functions of ${t.name}` });
  }
  return out;
}

/**
 * Laws that noisy rows support, where nothing is exact: the polynomial of significant terms (plain, then with negative
 * powers), the sum of significant functions, the ratio of significant polynomials, and where y keeps one sign the
 * significant polynomials of the POLYNOMIAL_TARGETS, each row weighted by 1/forward'(y)^2 so that the noise it carries
 * counts as much as any other's. Candidates only: discover judges them on validation rows with every other formula.
 */
export function noisyLaws(data: FitData): { expr: Expr; source: string }[] {
  const out: { expr: Expr; source: string }[] = [];
  const push = (expr: Expr | null, source: string): void => {
    if (expr) out.push({ expr, source });
  };
  for (const negative of [false, true]) push(significantPolynomial(data, { negative }), 'polynomial of significant terms');
  push(significantFunctionSum(data), 'sum of significant functions');
  push(significantRational(data), 'ratio of significant polynomials');
  const sign = productSign(data.y);
  if (sign === 0) return out;
  for (const t of POLYNOMIAL_TARGETS) {
    const y = data.y.map(t.forward);
    const raw = data.y.map((v) => 1 / t.slope(v) ** 2);
    const mean = raw.reduce((a, v) => a + v, 0) / raw.length;
    if (!y.every(Number.isFinite) || !(mean > 0 && Number.isFinite(mean))) continue;
    const weights = raw.map((v) => v / mean);
    const back = (found: Expr | null): Expr | null => (found ? t.inverse(found, sign) : null);
    for (const negative of [false, true]) push(back(significantPolynomial({ ...data, y }, { logs: t.logs, negative, weights })), `polynomial of significant terms of ${t.name}`);
    if (t.ratio) push(back(significantRational({ ...data, y }, weights)), `ratio of significant polynomials of ${t.name}`);
  }
  return out;
}

/**
 * Exact laws read off the data: polynomialLaws, and a ratio of polynomials (rational.ts) unless y is a polynomial. A
 * polynomial of 1/y is a ratio too, often longer written so: x3/(1 - x2/x1) is 1/(1/x3 - x2/(x1 x3)) there and
 * x1 x3/(x1 - x2) here, and the front keeps the simpler.
 */
export function exactLaws(data: FitData): { expr: Expr; source: string }[] {
  const out = polynomialLaws(data);
  if (out.some((l) => l.source === 'polynomial')) return out;
  const rational = exactRational(data);
  if (rational) out.push({ expr: rational, source: 'ratio of polynomials' });
  return out;
}
