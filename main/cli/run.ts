/** `kanbench run RECIPE.json`: runs a recipe headless with a progress bar and a summary (or one JSON object with --json). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseRecipe } from '../../app/recipe/schema';
import { initialState, runSteps, summarizeRun, type StageResult } from '../../app/recipe/runner';
import { ProgressBar, formatNumber } from './progress';
import { UsageError } from './errors';

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'no-store': { type: 'boolean', default: false },
      db: { type: 'string' },
      backend: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('usage: kanbench run RECIPE.json [--json] [--no-store] [--db PATH]');
  const recipe = parseRecipe(readJson(file));
  const baseDir = path.dirname(path.resolve(file));
  const readCsv = (ref: string): string => readFileSync(path.resolve(baseDir, ref), 'utf8');
  const bar = new ProgressBar(process.stderr, !values.quiet);
  const state = initialState(recipe, readCsv);
  const steps = recipe.steps;
  const result = runSteps(state, {
    events: {
      onProgress: (index, model, p) => {
        bar.update((index + p.step / Math.max(1, p.steps)) / steps.length, `step ${index + 1}/${steps.length} fit ${model} ${p.step}/${p.steps} train ${formatNumber(p.trainMetric)} test ${formatNumber(p.testMetric)}`);
      },
      onStepEnd: (stage) => bar.log(describeStage(stage, steps.length)),
    },
  });
  const summary = summarizeRun(result);
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(humanSummary(summary));
  return 0;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read recipe ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`recipe ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function describeStage(stage: StageResult, total: number): string {
  const m = stage.kan;
  const metric = m.testRmse !== undefined ? `test RMSE ${formatNumber(m.testRmse)}` : `test accuracy ${formatNumber(m.testAccuracy)}`;
  const mlp = stage.mlp ? `; MLP ${stage.mlp.testRmse !== undefined ? formatNumber(stage.mlp.testRmse) : formatNumber(stage.mlp.testAccuracy)}` : '';
  return `step ${stage.index + 1}/${total} ${stage.step}: ${stage.seconds.toFixed(2)} s, KAN ${m.params} params, ${metric}${mlp}`;
}

function humanSummary(summary: Record<string, unknown>): string {
  const lines: string[] = [];
  const kan = summary.kan as Record<string, number>;
  const mlp = summary.mlp as Record<string, number> | null;
  const row = (name: string, m: Record<string, number>): string =>
    `${name.padEnd(5)} ${String(m.params).padStart(8)}  ${m.testRmse !== undefined ? `${formatNumber(m.trainRmse).padStart(10)} ${formatNumber(m.testRmse).padStart(10)}` : `${formatNumber(m.trainAccuracy).padStart(10)} ${formatNumber(m.testAccuracy).padStart(10)}`}`;
  const rmse = kan.testRmse !== undefined;
  lines.push(`model   params  ${rmse ? 'train RMSE  test RMSE' : ' train acc   test acc'}`);
  lines.push(row('KAN', kan));
  if (mlp) lines.push(row('MLP', mlp));
  const formula = summary.formula as { text?: string } | undefined;
  if (formula?.text) lines.push(`formula: ${formula.text}`);
  return `${lines.join('\n')}\n`;
}

