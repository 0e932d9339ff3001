/**
 * Printing formula trees (math.js nodes) as plain text (math.js syntax), LaTeX (KaTeX-compatible), Python (an expression
 * SymPy's sympify reads) and JavaScript (a function body), and a LaTeX document with a booktabs table of formulas.
 * One printer serves all four: parentheses come from operator precedence (the tree's own parenthesis nodes are
 * ignored), and each dialect says how numbers, names, functions, products, quotients and powers are written.
 */
import { type MathNode, isConstantNode, isFunctionNode, isOperatorNode, isParenthesisNode, isSymbolNode } from 'mathjs';
import { escapeLatexText, latexNumber, latexSymbol, numberText } from './latex-atoms';

/** Binding strength of what a printed piece is, loosest first. */
const SUM = 1;
const PRODUCT = 2;
const UNARY = 3;
const POWER = 4;
const ATOM = 5;

interface Printed {
  text: string;
  prec: number;
}

interface Dialect {
  number(v: number): string;
  symbol(name: string): string;
  call(name: string, args: string[]): string;
  /** What joins two factors of a product, given how each is printed. */
  times(left: string, right: string): string;
  divide(num: Printed, den: Printed): Printed;
  power(base: Printed, exponent: Printed): Printed;
  group(text: string): string;
}

const plain = (text: string): string => `(${text})`;
/** A constant or variable is an atom; anything else gets brackets when it becomes a base. */
const wrapUnless = (p: Printed, min: number, group: (t: string) => string): string => (p.prec >= min ? p.text : group(p.text));

const TEXT: Dialect = {
  number: numberText,
  symbol: (name) => name,
  call: (name, args) => `${name}(${args.join(', ')})`,
  times: () => ' * ',
  divide: (num, den) => ({ text: `${wrapUnless(num, PRODUCT, plain)} / ${wrapUnless(den, POWER, plain)}`, prec: PRODUCT }),
  power: (base, exponent) => ({ text: `${wrapUnless(base, ATOM, plain)} ^ ${wrapUnless(exponent, ATOM, plain)}`, prec: POWER }),
  group: plain,
};

const PYTHON_FUNCTIONS: Record<string, string> = { abs: 'Abs' };
const PYTHON_CONSTANTS: Record<string, string> = { pi: 'pi', e: 'E' };

const PYTHON: Dialect = {
  number: numberText,
  symbol: (name) => PYTHON_CONSTANTS[name] ?? name,
  call: (name, args) => `${PYTHON_FUNCTIONS[name] ?? name}(${args.join(', ')})`,
  times: () => '*',
  divide: (num, den) => ({ text: `${wrapUnless(num, PRODUCT, plain)}/${wrapUnless(den, POWER, plain)}`, prec: PRODUCT }),
  power: (base, exponent) => ({ text: `${wrapUnless(base, ATOM, plain)}**${wrapUnless(exponent, ATOM, plain)}`, prec: POWER }),
  group: plain,
};

const JS_CONSTANTS: Record<string, string> = { pi: 'Math.PI', e: 'Math.E' };

const JAVASCRIPT: Dialect = {
  number: numberText,
  symbol: (name) => JS_CONSTANTS[name] ?? name,
  call: (name, args) => `${/^phi_\d+_\d+_\d+$/.test(name) ? name : `Math.${name}`}(${args.join(', ')})`,
  times: () => ' * ',
  divide: (num, den) => ({ text: `${wrapUnless(num, PRODUCT, plain)} / ${wrapUnless(den, POWER, plain)}`, prec: PRODUCT }),
  power: (base, exponent) => ({ text: `Math.pow(${base.text}, ${exponent.text})`, prec: ATOM }),
  group: plain,
};

const LATEX_FUNCTIONS: Record<string, string> = {
  sin: '\\sin', cos: '\\cos', tan: '\\tan', asin: '\\arcsin', acos: '\\arccos', atan: '\\arctan',
  sinh: '\\sinh', cosh: '\\cosh', tanh: '\\tanh', asinh: '\\operatorname{arsinh}', acosh: '\\operatorname{arcosh}', atanh: '\\operatorname{artanh}',
  exp: '\\exp', log: '\\ln', sign: '\\operatorname{sgn}',
};

const latexGroup = (text: string): string => `\\left(${text}\\right)`;

/**
 * Juxtaposition (4 \pi x_{3}) where it cannot misread: not before a number (2 \cdot 3), not next to a multi-letter
 * \mathrm name, not after a number in 10^{k} notation.
 */
function latexTimes(left: string, right: string): string {
  const ambiguous = /^[0-9.-]/.test(right) || left.includes('\\mathrm') || right.startsWith('\\mathrm') || /10\^\{-?\d+\}$/.test(left);
  return ambiguous ? ' \\cdot ' : ' ';
}

const LATEX: Dialect = {
  number: latexNumber,
  symbol: latexSymbol,
  call: (name, args) => {
    const arg = args.join(', ');
    if (name === 'sqrt') return `\\sqrt{${arg}}`;
    if (name === 'abs') return `\\left|${arg}\\right|`;
    const numeric = /^phi_(\d+)_(\d+)_(\d+)$/.exec(name);
    if (numeric) return `\\varphi_{${numeric[1]},${numeric[2]},${numeric[3]}}\\left(${arg}\\right)`;
    return `${LATEX_FUNCTIONS[name] ?? `\\operatorname{${escapeLatexText(name)}}`}\\left(${arg}\\right)`;
  },
  times: latexTimes,
  divide: (num, den) => ({ text: `\\frac{${num.text}}{${den.text}}`, prec: ATOM }),
  // Only a plain number or variable stays bare as a base: \sin\left(x\right)^{2} would read as sin of x squared.
  power: (base, exponent) => ({ text: `${/^[A-Za-z0-9_.{}]+$/.test(base.text) ? base.text : latexGroup(base.text)}^{${exponent.text}}`, prec: POWER }),
  group: latexGroup,
};

export const toText = (node: MathNode): string => print(node, TEXT).text;
export const toLatex = (node: MathNode): string => print(node, LATEX).text;
export const toPython = (node: MathNode): string => print(node, PYTHON).text;

/** A JavaScript function body computing the formula from parameters named as the formula's variables. */
export const toJavaScript = (node: MathNode): string => `return ${print(node, JAVASCRIPT).text};`;

function print(node: MathNode, d: Dialect): Printed {
  if (isParenthesisNode(node)) return print(node.content, d);
  if (isConstantNode(node)) {
    const v = Number(node.value);
    return v < 0 ? { text: `-${d.number(-v)}`, prec: UNARY } : { text: d.number(v), prec: ATOM };
  }
  if (isSymbolNode(node)) return { text: d.symbol(node.name), prec: ATOM };
  if (isFunctionNode(node)) {
    const name = isSymbolNode(node.fn) ? node.fn.name : String(node.fn);
    return { text: d.call(name, node.args.map((a) => print(a, d).text)), prec: ATOM };
  }
  if (isOperatorNode(node)) {
    const args = node.args;
    switch (node.fn) {
      case 'add':
        return { text: args.map((a, q) => (q === 0 ? wrapUnless(print(a, d), SUM, d.group) : continueSum(a, d))).join(''), prec: SUM };
      case 'subtract':
        return { text: `${wrapUnless(print(args[0]!, d), SUM, d.group)} - ${subtrahend(print(args[1]!, d), d)}`, prec: SUM };
      case 'multiply': {
        const factors = args.map((a, q) => wrapUnless(print(a, d), q === 0 ? PRODUCT : POWER, d.group));
        return { text: factors.reduce((acc, f) => `${acc}${d.times(acc, f)}${f}`), prec: PRODUCT };
      }
      case 'divide':
        return d.divide(print(args[0]!, d), print(args[1]!, d));
      case 'pow':
        return d.power(print(args[0]!, d), print(args[1]!, d));
      case 'unaryMinus': {
        const inner = print(args[0]!, d);
        return { text: `-${inner.prec >= PRODUCT && inner.prec !== UNARY ? inner.text : d.group(inner.text)}`, prec: UNARY };
      }
      case 'unaryPlus':
        return print(args[0]!, d);
    }
  }
  throw new Error(`cannot export "${node.toString()}": ${node.type}${isOperatorNode(node) ? ` "${node.op}"` : ''} is not part of a formula`);
}

/** " + term", or " - term" when the term is negated. */
function continueSum(term: MathNode, d: Dialect): string {
  const inner = isParenthesisNode(term) ? term.content : term;
  if (isOperatorNode(inner) && inner.fn === 'unaryMinus') return ` - ${subtrahend(print(inner.args[0]!, d), d)}`;
  if (isConstantNode(inner) && Number(inner.value) < 0) return ` - ${d.number(-Number(inner.value))}`;
  const text = wrapUnless(print(inner, d), SUM, d.group);
  // A sum or product that opens with a minus (-0.4 - 10.6 sin(x), -2 x) continues as "a - 0.4 - ...", not "a + -0.4 - ...".
  return text.startsWith('-') ? ` - ${text.slice(1)}` : ` + ${text}`;
}

/** What follows a minus sign: bracketed when it is a sum or itself negated. */
function subtrahend(p: Printed, d: Dialect): string {
  return p.prec >= PRODUCT && p.prec !== UNARY ? p.text : d.group(p.text);
}


export interface LatexTableRow {
  /** What the formula is for (an output name), as plain text. */
  name: string;
  /** The formula in LaTeX (toLatex). */
  latex: string;
  /** Test RMSE of the formula, when known. */
  testRmse?: number | null;
}

/** A standalone LaTeX document with one booktabs table of formulas (amsmath, booktabs and array are standard packages). */
export function latexDocument(rows: readonly LatexTableRow[], caption = 'Formulas recovered by KAN Workbench'): string {
  const withRmse = rows.some((r) => r.testRmse !== undefined);
  const body = rows.map((r) => {
    const rmse = withRmse ? ` & ${r.testRmse === undefined || r.testRmse === null || !Number.isFinite(r.testRmse) ? '--' : `$${latexNumber(Number(r.testRmse.toPrecision(3)))}$`}` : '';
    return `${escapeLatexText(r.name)} & $\\displaystyle ${r.latex}$${rmse} \\\\`;
  });
  return [
    '\\documentclass{article}',
    '\\usepackage{amsmath}',
    '\\usepackage{booktabs}',
    '\\usepackage{array}',
    '\\begin{document}',
    '\\begin{table}[ht]',
    '\\centering',
    `\\caption{${escapeLatexText(caption)}}`,
    `\\begin{tabular}{l>{\\raggedright\\arraybackslash}p{0.7\\linewidth}${withRmse ? 'r' : ''}}`,
    '\\toprule',
    `Output & Formula${withRmse ? ' & Test RMSE' : ''} \\\\`,
    '\\midrule',
    ...body,
    '\\bottomrule',
    '\\end{tabular}',
    '\\end{table}',
    '\\end{document}',
    '',
  ].join('\n');
}
