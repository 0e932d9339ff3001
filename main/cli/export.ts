/** Exports of a stored run: the whole record as JSON, or its step metrics and formula as a LaTeX fragment for a paper. */
import type { CurvePoint, FormulaRecord, RunDetail } from '../store';

export const RUN_EXPORT_FORMAT = 'kan-workbench-run';

export function runToJson(run: RunDetail, curves: CurvePoint[], formulas: FormulaRecord[]): string {
  return `${JSON.stringify({ format: RUN_EXPORT_FORMAT, version: 1, run, curves, formulas }, null, 2)}\n`;
}

/** A tabular of every step's parameter count and test figure (RMSE or accuracy), then the latest formula as equations. */
export function runToLatex(run: RunDetail, formulas: FormulaRecord[]): string {
  const lines: string[] = [`% KAN Workbench run ${run.id}: ${oneLine(run.name)}`, `% seed ${run.seed}, backend ${run.backend}, status ${run.status}`];
  const metricsOf = (step: RunDetail['steps'][number]) =>
    step.metrics as { kan?: Record<string, number | null>; mlp?: Record<string, number | null> | null };
  const classification = run.steps.some((step) => typeof metricsOf(step).kan?.testAccuracy === 'number');
  const figure = classification ? 'test accuracy' : 'test RMSE';
  const key = classification ? 'testAccuracy' : 'testRmse';
  const hasMlp = run.steps.some((step) => metricsOf(step).mlp);
  lines.push(`\\begin{tabular}{rl${hasMlp ? 'rrrr' : 'rr'}}`, '\\hline');
  lines.push(`Step & Kind & KAN params & KAN ${figure}${hasMlp ? ` & MLP params & MLP ${figure}` : ''} \\\\`, '\\hline');
  for (const step of run.steps) {
    const { kan, mlp } = metricsOf(step);
    const cells = [String(step.idx + 1), escapeLatex(step.kind), number(kan?.params), number(kan?.[key])];
    if (hasMlp) cells.push(number(mlp?.params), number(mlp?.[key]));
    lines.push(`${cells.join(' & ')} \\\\`);
  }
  lines.push('\\hline', '\\end{tabular}');
  const lastFormulaStep = formulas.reduce((last, f) => Math.max(last, f.stepIdx), -1);
  const latest = formulas.filter((f) => f.stepIdx === lastFormulaStep);
  if (latest.length > 0) {
    lines.push('', `% Formula after step ${lastFormulaStep + 1}`);
    for (const formula of latest) {
      lines.push('\\begin{equation}', `y_{${formula.outputIdx + 1}} = ${formula.latex}`, '\\end{equation}');
    }
  }
  return `${lines.join('\n')}\n`;
}

function number(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '--';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) {
    const [mantissa, exponent] = value.toExponential(3).split('e');
    return `$${mantissa} \\times 10^{${Number(exponent)}}$`;
  }
  return value.toPrecision(4);
}

function escapeLatex(text: string): string {
  return text.replace(/[\\{}$&#^_%~]/g, (c) => (c === '\\' ? '\\textbackslash{}' : c === '~' ? '\\textasciitilde{}' : c === '^' ? '\\textasciicircum{}' : `\\${c}`));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
