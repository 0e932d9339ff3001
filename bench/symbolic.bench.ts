/** Seconds of autoSymbolic with the full built-in library on trained [2,5,1] and [4,8,4,1] KANs (first call and a repeat). */
import { Kan } from '../app/kan/model';
import { makeFormulaDataset } from '../app/data';
import { toBatch } from '../app/recipe/data';
import { autoSymbolic } from '../app/symbolic/suggest';
import { BUILTIN_LIBRARY } from '../app/symbolic/library';
import { fit } from '../app/train/fit';
import { Rng } from '../app/util/rng';

interface Case {
  label: string;
  width: number[];
  formula: string;
  fitSteps: number;
}

const CASES: Case[] = [
  { label: '[2,5,1]', width: [2, 5, 1], formula: 'exp(sin(pi*x1) + x2^2)', fitSteps: 20 },
  { label: '[4,8,4,1]', width: [4, 8, 4, 1], formula: 'exp((sin(pi*(x1^2 + x2^2)) + sin(pi*(x3^2 + x4^2))) / 2)', fitSteps: 5 },
];

export async function run(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = { 'autoSymbolic library size': BUILTIN_LIBRARY.length };
  for (const c of CASES) {
    const vars = c.width[0]!;
    const ds = makeFormulaDataset({ formula: c.formula, vars, range: [-1, 1], train: 1000, test: 0, seed: 0 });
    const train = toBatch(ds.train, vars, 1);
    const kan = Kan.create({ width: c.width, grid: 5, k: 3 }, new Rng(0));
    fit(kan, { train, test: { x: new Float64Array(0), y: new Float64Array(0), n: 0 } }, 'regression', { opt: 'lbfgs', steps: c.fitSteps, lamb: 1e-3 });
    const edges = c.width.slice(1).reduce((sum, w, l) => sum + w * c.width[l]!, 0);
    // r2Threshold 0 fixes every edge, so every edge is fitted with the whole library.
    const time = (): number => {
      const copy = kan.clone();
      const t0 = performance.now();
      autoSymbolic(copy, train, { r2Threshold: 0 });
      return (performance.now() - t0) / 1000;
    };
    out[`autoSymbolic ${c.label} (${edges} edges, 1000 samples) first call s`] = round(time());
    out[`autoSymbolic ${c.label} (${edges} edges, 1000 samples) repeat s`] = round(time());
  }
  return out;
}

function round(seconds: number): number {
  return Number(seconds.toPrecision(3));
}
