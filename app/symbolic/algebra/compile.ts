/**
 * A formula compiled into one JavaScript function over the rows, its free constants a parameter vector: the constant
 * refits evaluate a formula thousands of times with new constants, and walking the tree allocates an array per node per
 * call (that walk was 40% of a discovery's time). The compiled function does evaluateExpr's operations in the same
 * order, so its values are the same (up to the sign of a zero sum); where code generation is not allowed (a page whose
 * CSP forbids it) the tree walk is used.
 */
import { type Expr, FUNCTIONS, evaluateExpr } from './expr';

/** Values of the formula with free constant k (depth-first order, as freeConstants lists them) set to constants[k]. */
export type CompiledExpr = (constants: ArrayLike<number>, columns: readonly Float64Array[], n: number) => Float64Array;

export function compileExpr(e: Expr, withFree: (values: readonly number[]) => Expr): CompiledExpr {
  let free = 0;
  let maxVariable = -1;
  const code = (node: Expr): string => {
    switch (node.kind) {
      case 'const':
        return node.exact === undefined ? `c[${free++}]` : `(${numberLiteral(node.value)})`;
      case 'var':
        maxVariable = Math.max(maxVariable, node.index);
        return `x${node.index}`;
      case 'add':
        return node.terms.length === 0 ? '0' : `(${node.terms.map(code).join(' + ')})`;
      case 'mul':
        return node.factors.length === 0 ? '1' : `(${node.factors.map(code).join(' * ')})`;
      case 'pow': {
        const base = code(node.base);
        return `Math.pow(${base}, ${code(node.exponent)})`;
      }
      case 'fn':
        return `F.${node.name}(${code(node.arg)})`;
    }
  };
  const body = code(e);
  const reads = Array.from({ length: maxVariable + 1 }, (_, i) => `const x${i} = cols[${i}][r];`).join(' ');
  const source = `return function compiled(c, cols, n) { const out = new Float64Array(n); for (let r = 0; r < n; r++) { ${reads} out[r] = ${body}; } return out; };`;
  try {
    const make = new Function('F', source) as (functions: typeof FUNCTIONS) => CompiledExpr;
    const compiled = make(FUNCTIONS);
    return (constants, columns, n) => {
      if (columns.length <= maxVariable) throw new Error(`the formula uses input ${maxVariable + 1}, but only ${columns.length} input columns were given`);
      return compiled(constants, columns, n);
    };
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    return (constants, columns, n) => evaluateExpr(withFree(Array.from(constants)), columns, n);
  }
}

/** A literal that reads back as exactly the same double (including the non-finite values). */
function numberLiteral(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return Object.is(v, -0) ? '-0' : String(v);
}
