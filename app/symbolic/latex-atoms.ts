/**
 * The atoms of a formula in LaTeX (KaTeX-compatible): variable and column names (x1 -> x_{1}, a column name upright in
 * \mathrm{}) and numbers (large and tiny ones as a mantissa times a power of ten). Free of math.js, so the workbench
 * typesets names and figures the same way the formula export does.
 */

/** Above this magnitude a number is written as m \cdot 10^{k}: 806200000000 is unreadable, 8.062 \cdot 10^{11} is not. */
const SCALE_ABOVE = 1e6;

/** Shortest decimal that reads back as v, in e-notation only for very large or small magnitudes. */
export function numberText(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot export the non-finite number ${v} in a formula`);
  return String(v).replace('e+', 'e');
}

/** v in LaTeX: 0.5, 8.062 \cdot 10^{11}, 1 \cdot 10^{-7}. */
export function latexNumber(v: number): string {
  const text = Math.abs(v) >= SCALE_ABOVE ? v.toExponential().replace('e+', 'e') : numberText(v);
  const [mantissa, exponent] = text.split('e');
  return exponent === undefined ? mantissa! : `${mantissa} \\cdot 10^{${Number(exponent)}}`;
}

/** x1 -> x_{1}, y -> y, petal_length -> \mathrm{petal\_length}; pi and e as constants. */
export function latexSymbol(name: string): string {
  if (name === 'pi') return '\\pi';
  if (name === 'e') return 'e';
  const indexed = /^([A-Za-z])_?(\d+)$/.exec(name);
  if (indexed) return `${indexed[1]}_{${indexed[2]}}`;
  if (/^[A-Za-z]$/.test(name)) return name;
  return `\\mathrm{${escapeLatexText(name)}}`;
}

/** Text safe inside LaTeX (table cells, \mathrm): the special characters escaped. */
export function escapeLatexText(text: string): string {
  return text.replace(/[\\{}$&#%_^~]/g, (c) => ({ '\\': '\\textbackslash{}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}' })[c] ?? `\\${c}`);
}
