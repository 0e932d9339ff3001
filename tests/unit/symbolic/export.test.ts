import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import katex from 'katex';
import { latexDocument, toJavaScript, toLatex, toPython, toText } from '../../../app/symbolic/export';
import { symbolicMath } from '../../../app/symbolic/math';
import { buildFormulas } from '../../../app/symbolic/formula';
import { Kan } from '../../../app/kan/model';
import { setSymbolic } from '../../../app/symbolic/suggest';
import { BUILTIN_LIBRARY } from '../../../app/symbolic/library';
import { Rng } from '../../../app/util/rng';

/** Expressions that stress precedence, signs, every function and number formats; x1 in (0.2, 0.9), x2 in (0.1, 0.8). */
const EXPRESSIONS = [
  'x1 - (x2 - 3)', '-(x1 + x2)', 'x1 / (x2 * 3)', 'x1 / x2 / 2', '(x1 + 1) ^ 2', '-x1 ^ 2', '2 ^ (-x1)', 'x1 ^ x2 ^ 2',
  'exp(-x1 ^ 2)', '1 / (1 + exp(-x1))', 'x1 - -x2', '(-2) ^ 2 * x1', '-(2 * x1)', '3 * -x1', 'x1 * (x2 * 3)', 'x1 - (x2 + 1) * 2',
  'sqrt(x1) * abs(x2 - 0.5)', 'sign(x2 - 0.5) * asin(x1) + acos(x2) - atan(x1) + atanh(x2) + tanh(x1) + cosh(x2)',
  'log(x1) + 1e-7 * x2 + 12345678901 * x1', 'sin(x1) ^ 2 + cos(x2) ^ 3 - tan(x1)', 'pi * x1 + e', '-(x1 - x2) * (x1 + x2)',
  '(x1 * x2) / (x1 - x2 + 2)', 'x1 ^ 1.5 + 1 / x2 ^ 3', '-(-x1)', 'sinh(x1) + asinh(x2) + acosh(x1 + 1)', '2.5e-12 * x1 - 0.001',
  '0.08584 + (-0.4064 - 10.61 * sin(x1))', 'x1 + (-2) * x2', 'x1 + (-3 + x2)',
];

const math = symbolicMath();
const POINTS = Array.from({ length: 5 }, (_, q) => ({ x1: 0.2 + 0.15 * q + 0.013, x2: 0.1 + 0.14 * q + 0.021 }));

function mathjsValues(expr: string): number[] {
  const code = math.parse(expr).compile();
  return POINTS.map((p) => code.evaluate({ ...p }) as number);
}

function expectSame(got: number[], want: number[], what: string): void {
  got.forEach((g, q) => expect(Math.abs(g - want[q]!), `${what} at point ${q}`).toBeLessThan(1e-9 * (1 + Math.abs(want[q]!))));
}

/** SymPy evaluation of Python expressions at POINTS, or null when python3 with sympy is not available. */
function sympyValues(exprs: string[]): number[][] | null {
  const script = [
    'import json, sys',
    'from sympy import sympify, Symbol',
    'data = json.load(sys.stdin)',
    'x1, x2 = Symbol("x1"), Symbol("x2")',
    'out = []',
    'for e in data["exprs"]:',
    '    f = sympify(e, locals={"x1": x1, "x2": x2})',
    '    out.append([float(f.subs({x1: p["x1"], x2: p["x2"]}).evalf(30)) for p in data["points"]])',
    'print(json.dumps(out))',
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ exprs, points: POINTS }), encoding: 'utf8', timeout: 60_000 });
  if (run.error || /No module named .?sympy/.test(run.stderr ?? '')) return null;
  if (run.status !== 0) throw new Error(`sympy failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as number[][];
}

const hasSympy = spawnSync('/usr/bin/python3', ['-c', 'import sympy'], { encoding: 'utf8' }).status === 0;

describe('formula exports', () => {
  it('plain text reads back into math.js with the same values', () => {
    for (const expr of EXPRESSIONS) expectSame(mathjsValues(toText(math.parse(expr))), mathjsValues(expr), `${expr} -> ${toText(math.parse(expr))}`);
  });

  it('the JavaScript body evaluates to the same values', () => {
    for (const expr of EXPRESSIONS) {
      const body = toJavaScript(math.parse(expr));
      const f = new Function('x1', 'x2', body) as (x1: number, x2: number) => number;
      expectSame(POINTS.map((p) => f(p.x1, p.x2)), mathjsValues(expr), `${expr} -> ${body}`);
    }
  });

  it.skipIf(!hasSympy)('the Python expression is read by SymPy sympify and gives the same values', () => {
    const python = EXPRESSIONS.map((e) => toPython(math.parse(e)));
    const values = sympyValues(python)!;
    EXPRESSIONS.forEach((expr, q) => expectSame(values[q]!, mathjsValues(expr), `${expr} -> ${python[q]}`));
  }, 60_000);

  it('LaTeX renders in KaTeX and reads as intended', () => {
    for (const expr of EXPRESSIONS) expect(() => katex.renderToString(toLatex(math.parse(expr)), { throwOnError: true }), expr).not.toThrow();
    const tex = (e: string): string => toLatex(math.parse(e));
    expect(tex('x1 ^ 2')).toBe('x_{1}^{2}');
    expect(tex('sqrt(x1)')).toBe('\\sqrt{x_{1}}');
    expect(tex('1e-7 * x2')).toBe('1 \\cdot 10^{-7} \\cdot x_{2}');
    // Large constants are scaled, not printed as twelve digits (806200000000).
    expect(tex('806200000000 * x1 + 1234567')).toBe('8.062 \\cdot 10^{11} \\cdot x_{1} + 1.234567 \\cdot 10^{6}');
    expect(tex('999999.5 * x1')).toBe('999999.5 x_{1}');
    expect(tex('sin(x1) ^ 2')).toBe('\\left(\\sin\\left(x_{1}\\right)\\right)^{2}');
    expect(tex('abs(x1 - 1)')).toBe('\\left|x_{1} - 1\\right|');
    expect(tex('x1 / (x2 + 1)')).toBe('\\frac{x_{1}}{x_{2} + 1}');
    expect(tex('exp(-x1) + log(x2)')).toBe('\\exp\\left(-x_{1}\\right) + \\ln\\left(x_{2}\\right)');
    expect(tex('petal_length * pi')).toBe('\\mathrm{petal\\_length} \\cdot \\pi');
    expect(tex('x1 - (x2 - 3)')).toBe('x_{1} - \\left(x_{2} - 3\\right)');
    expect(tex('x1 * x2 / (4 * pi * x3 ^ 2)')).toBe('\\frac{x_{1} x_{2}}{4 \\pi x_{3}^{2}}');
    expect(tex('2 * 3 * x1')).toBe('2 \\cdot 3 x_{1}');
  });

  it('exports formulas of every library function and of marked numeric edges that KaTeX renders and Python/JS evaluate like the model', () => {
    const lib = BUILTIN_LIBRARY.filter((f) => !['0', 'x'].includes(f.name));
    const kan = Kan.create({ width: [1, lib.length], grid: 3, k: 3 }, new Rng(1));
    // Arguments 0.3*x + 0.6 stay inside every domain for x in (0.2, 0.9).
    lib.forEach((fn, j) => setSymbolic(kan, { layer: 0, input: 0, output: j }, fn, [0.3, 0.6, 1.1, -0.2]));
    const formulas = buildFormulas(kan, { inputNames: ['x1'], digits: Infinity, simplify: false });
    const x = POINTS.map((p) => p.x1);
    const model = kan.forward(Float64Array.from(x), x.length);
    formulas.forEach((f, j) => {
      expect(() => katex.renderToString(toLatex(f.node), { throwOnError: true }), lib[j]!.name).not.toThrow();
      const js = new Function('x1', toJavaScript(f.node)) as (v: number) => number;
      expectSame(x.map(js), x.map((_, s) => model[s * lib.length + j]!), `${lib[j]!.name}: ${toJavaScript(f.node)}`);
    });
    if (hasSympy) {
      const values = sympyValues(formulas.map((f) => toPython(f.node)))!;
      formulas.forEach((_, j) => expectSame(values[j]!, x.map((__, s) => model[s * lib.length + j]!), `python ${lib[j]!.name}`));
    }
    const marked = Kan.create({ width: [1, 1], grid: 3, k: 3 }, new Rng(2));
    const [withNumeric] = buildFormulas(marked, { inputNames: ['x1'], numericEdges: 'mark' });
    expect(toLatex(withNumeric!.node)).toBe('\\varphi_{0,0,0}\\left(x_{1}\\right)');
    expect(() => katex.renderToString(toLatex(withNumeric!.node), { throwOnError: true })).not.toThrow();
  }, 60_000);

  it('writes a LaTeX document with a booktabs table of several formulas', () => {
    const doc = latexDocument([
      { name: 'petal_width', latex: toLatex(math.parse('0.5 * x1 ^ 2 + sin(x2)')), testRmse: 1.234567e-7 },
      { name: 'y & z', latex: toLatex(math.parse('exp(x1)')), testRmse: null },
    ]);
    for (const rule of ['\\toprule', '\\midrule', '\\bottomrule', '\\usepackage{booktabs}', '\\documentclass{article}']) expect(doc).toContain(rule);
    expect(doc).toContain('petal\\_width & $\\displaystyle 0.5 x_{1}^{2} + \\sin\\left(x_{2}\\right)$ & $1.23 \\cdot 10^{-7}$ \\\\');
    expect(doc).toContain('y \\& z & $\\displaystyle \\exp\\left(x_{1}\\right)$ & -- \\\\');
    const begins = doc.match(/\\begin\{(\w+)\}/g)!.map((b) => b.slice(7));
    const ends = doc.match(/\\end\{(\w+)\}/g)!.map((b) => b.slice(5));
    expect(ends.reverse()).toEqual(begins);
    for (const cell of doc.match(/\$[^$]+\$/g)!) expect(() => katex.renderToString(cell.slice(1, -1), { throwOnError: true })).not.toThrow();
  });
});

describe('signs in sums', () => {
  it('continue a sum whose next term opens with a minus as "a - b", never "a + -b"', () => {
    const node = math.parse('0.08584 + (-0.4064 - 10.61 * sin(x1))');
    expect(toText(node)).toBe('0.08584 - 0.4064 - 10.61 * sin(x1)');
    expect(toLatex(node)).not.toContain('+ -');
    expect(toPython(math.parse('x1 + (-2) * x2'))).toBe('x1 - 2*x2');
  });
});
