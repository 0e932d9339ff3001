/**
 * Signs the data settles: abs(u) is u, and sign(u) is 1, wherever u keeps one sign on every row a formula is fitted and
 * judged on. A law read through y^2 comes back as sqrt(x1^2 / (1 - x2^2)) = abs(x1) / sqrt(1 - x2^2); on rows where
 * the mass x1 is positive the data cannot tell abs(x1) from x1, and the simpler reading is the law a scientist writes.
 * The rewrite changes no value on those rows, so it changes no error; it only drops what the data gives no reason for.
 */
import { type Expr, constant, evaluateExpr } from './expr';
import type { FitData } from './constants';

/**
 * The sign u keeps on every row of every set (1 for >= 0 throughout, -1 for <= 0; with strict, > 0 and < 0), or 0
 * (mixed, zero throughout, or undefined somewhere).
 */
function keptSign(u: Expr, sets: readonly FitData[], strict: boolean): number {
  let positive = false;
  let negative = false;
  let zero = false;
  for (const data of sets) {
    const values = evaluateExpr(u, data.columns, data.n);
    for (let r = 0; r < data.n; r++) {
      const v = values[r]!;
      if (Number.isNaN(v)) return 0;
      if (v > 0) positive = true;
      else if (v < 0) negative = true;
      else zero = true;
      if ((positive && negative) || (strict && zero)) return 0;
    }
  }
  return positive ? 1 : negative ? -1 : 0;
}

function hasSignFunction(e: Expr): boolean {
  switch (e.kind) {
    case 'const':
    case 'var':
      return false;
    case 'add':
      return e.terms.some(hasSignFunction);
    case 'mul':
      return e.factors.some(hasSignFunction);
    case 'pow':
      return hasSignFunction(e.base) || hasSignFunction(e.exponent);
    case 'fn':
      return e.name === 'abs' || e.name === 'sign' || hasSignFunction(e.arg);
  }
}

/** e with every abs(u) and sign(u) whose u keeps one sign on all the rows of sets replaced by +-u and +-1 (unsimplified). */
export function resolveSigns(e: Expr, sets: readonly FitData[]): Expr {
  if (!hasSignFunction(e)) return e;
  const walk = (node: Expr): Expr => {
    switch (node.kind) {
      case 'const':
      case 'var':
        return node;
      case 'add':
        return { kind: 'add', terms: node.terms.map(walk) };
      case 'mul':
        return { kind: 'mul', factors: node.factors.map(walk) };
      case 'pow':
        return { kind: 'pow', base: walk(node.base), exponent: walk(node.exponent) };
      case 'fn': {
        const arg = walk(node.arg);
        if (node.name !== 'abs' && node.name !== 'sign') return { kind: 'fn', name: node.name, arg };
        const sign = keptSign(arg, sets, node.name === 'sign');
        if (sign === 0) return { kind: 'fn', name: node.name, arg };
        const exactSign = constant(sign, { p: sign, q: 1, basis: 'one' });
        return node.name === 'sign' ? exactSign : sign === 1 ? arg : { kind: 'mul', factors: [exactSign, arg] };
      }
    }
  };
  return walk(e);
}
