// Tests the API services end to end through the dispatcher (responses checked against the contract), on a real store and training host.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ApiErrorBody, OperationName, RequestOf, ResponseOf } from '../../app/api/contract';
import { irisCsv } from '../../app/data';
import { deserializeKan } from '../../app/kan/serialize';
import { prepareData } from '../../app/recipe/data';
import { parseRecipe } from '../../app/recipe/schema';
import { resolveSymbolicFunction } from '../../app/symbolic/library';
import { startBackend, type Backend } from '../../main/services/backend';
import { callFails, callOk } from './helpers/api';
import { bundleWorker, tinyRecipe } from './helpers/bundle';

let backend: Backend;
let removeWorker = (): void => undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-services-'));

beforeAll(async () => {
  const { workerFile, remove } = await bundleWorker();
  removeWorker = remove;
  // One worker starts up front, while the dataset tests run.
  backend = startBackend({
    dbPath: path.join(tmp, 'experiments.db'), workerFile, checkResponses: true, log: () => undefined, concurrency: 1, warmWorkers: 1,
  });
}, 30_000);
afterAll(async () => {
  await backend.close();
  removeWorker();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const call = <O extends OperationName>(op: O, payload: RequestOf<O>): Promise<ResponseOf<O>> => callOk(backend, op, payload);
const fail = (op: string, payload: unknown): Promise<ApiErrorBody> => callFails(backend, op, payload);

/** A step's model metrics, without its timings. */
function models(step: { metrics: unknown }): unknown {
  const { kan, mlp } = step.metrics as { kan: unknown; mlp: unknown };
  return { kan, mlp };
}

async function finished(runId: string): Promise<ResponseOf<'runs.get'>> {
  await backend.host.waitFor(runId);
  return call('runs.get', { id: runId });
}

describe('datasets', () => {
  it('imports a CSV once per content and name, previews it, and explains a broken one', async () => {
    const iris = await call('datasets.importCsv', { name: 'iris', text: irisCsv });
    expect(iris).toMatchObject({ kind: 'csv', rows: 150, columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'] });
    expect(iris.hash).toBe(createHash('sha256').update(irisCsv).digest('hex'));
    expect((await call('datasets.importCsv', { name: 'iris', text: irisCsv })).id).toBe(iris.id);

    const preview = await call('datasets.preview', { id: iris.id, maxRows: 2 });
    expect(preview.rows).toEqual([['5.1', '3.5', '1.4', '0.2', 'setosa'], ['4.9', '3.0', '1.4', '0.2', 'setosa']]);
    expect(preview.numericColumns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(preview.rowCount).toBe(150);

    expect(preview.profile).toMatchObject({ constant: [], duplicate: [], missing: {} });
    expect(preview.profile.tasks.species).toEqual({ task: 'classification', reason: '3 distinct text labels' });

    // Everything a user would otherwise meet one failed run at a time, told at once before the import.
    const gappy = await call('datasets.previewCsv', { text: 'a,k,a2,b,y\n1,7,1,,0\n2,7,2,NA,1\n3,7,3,4,1\n4,7,4,6,0\n', maxRows: 1 });
    expect(gappy.profile).toEqual({
      constant: ['k'], duplicate: [{ column: 'a2', sameAs: 'a' }], missing: { b: 2 },
      tasks: expect.objectContaining({ y: { task: 'classification', reason: '2 distinct integer labels' } }),
    });
    expect(gappy.numericColumns).toContain('b');

    const broken = await fail('datasets.previewCsv', { text: 'a,b\n1,2\n3\n' });
    expect(broken).toMatchObject({ code: 'invalid' });
    expect(broken.message).toMatch(/Row 3 has 1 field but the header has 2/);
  });

  it('generates a formula dataset whose rows obey the formula, and samples a formula along one variable', async () => {
    const dataset = await call('datasets.createFormula', { name: 'product', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 40, test: 10 });
    expect(dataset).toMatchObject({ kind: 'formula', rows: 50, columns: ['x1', 'x2', 'y'] });
    const { rows } = await call('datasets.preview', { id: dataset.id, maxRows: 1000 });
    expect(rows).toHaveLength(50);
    for (const [x1, x2, y] of rows.map((row) => row.map(Number))) expect(y).toBeCloseTo(x1! * x2!, 14);

    expect(await call('datasets.sampleFormula', { formula: 'x1^2 + x2', vars: 2, range: [[-1, 1], [0, 4]], variable: 0, points: 5 })).toEqual({
      x: [-1, -0.5, 0, 0.5, 1], y: [3, 2.25, 2, 2.25, 3],
    });
    const log = await call('datasets.sampleFormula', { formula: 'log(x1)', vars: 1, range: [-1, 1], variable: 0, points: 3 });
    expect(log.y).toEqual([null, null, 0]);
    expect(await fail('datasets.sampleFormula', { formula: 'x1', vars: 1, range: [-1, 1], variable: 1 })).toMatchObject({ code: 'bad_request', path: 'variable' });
    expect((await fail('datasets.createFormula', { name: 'bad', formula: 'x1 +* 2', vars: 1, range: [-1, 1], train: 5, test: 0 })).message).toMatch(/does not parse/);
  });

  it('lists the samples and adds one as a dataset', async () => {
    const samples = await call('datasets.samples', {});
    expect(samples.map((s) => s.id)).toEqual(['iris', 'kan-toy', 'product', 'gaussian']);
    const toy = await call('datasets.addSample', { sampleId: 'kan-toy' });
    expect(toy).toMatchObject({ name: 'KAN paper toy function', kind: 'formula', rows: 2000 });
    expect(await fail('datasets.addSample', { sampleId: 'nope' })).toMatchObject({ code: 'bad_request', path: 'sampleId' });
  });
});

describe('runs', () => {
  let datasetId = '';
  let baseRun = '';
  const recipe = tinyRecipe({ mlp: true, fits: 2, fitSteps: 5 });

  beforeAll(async () => {
    datasetId = (await call('datasets.createFormula', { name: 'x1*x2 data', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 100, test: 40 })).id;
  });

  it('creates a run on a stored dataset, trains it, and reports every step', async () => {
    const statuses: string[] = [];
    const unsubscribe = backend.events.subscribe((event, payload) => {
      if (event === 'run.status') statuses.push((payload as { status: string }).status);
    });
    const created = await call('runs.create', {
      recipe: { ...recipe, data: { csv: `dataset:${datasetId}`, target: ['y'], standardize: false } }, name: 'product baseline',
    });
    baseRun = created.id;
    // A run records the backend it asks for, then the one it trained on (a problem this small stays on the reference).
    expect(created).toMatchObject({ name: 'product baseline', status: 'queued', datasetId, backend: 'auto' });
    const run = await finished(created.id);
    unsubscribe();
    expect(statuses).toEqual(['running', 'done']);
    expect(run.backend).toBe('reference');
    expect(String(run.summary.backend)).toMatch(/^reference: the problem .* too small/);
    expect(run.steps.map((s) => s.kind)).toEqual(['fit', 'fit']);
    expect((run.recipe as { data: { csv: string } }).data.csv).toBe(`dataset:${datasetId}`);
    const curves = await call('runs.curves', { id: run.id, stepIdx: 1 });
    expect(curves.filter((p) => p.model === 'kan').map((p) => p.iter)).toEqual([1, 2, 3, 4, 5]);
    const last = run.steps[1]!.metrics as { kan: { testRmse: number } };
    expect(run.summary.kanTestRmse).toBe(last.kan.testRmse);
    expect(last.kan.testRmse).toBeLessThan(0.2);
  }, 20_000);

  it('refuses recipes the app cannot run, naming the field', async () => {
    const fileRecipe = { ...recipe, data: { csv: 'data.csv', target: ['y'] } };
    expect(await fail('runs.create', { recipe: fileRecipe })).toMatchObject({ code: 'bad_request', path: 'recipe.data.csv' });
    const wrongColumn = { ...recipe, data: { csv: `dataset:${datasetId}`, target: ['z'] } };
    const error = await fail('runs.create', { recipe: wrongColumn });
    expect(error).toMatchObject({ code: 'bad_request', path: 'recipe.data.target[0]' });
    expect(error.message).toMatch(/column "z" is not in dataset "x1\*x2 data"; its columns are x1, x2, y/);
    const badShape = { ...recipe, kan: { width: [3, 3, 1] } };
    expect(await fail('runs.create', { recipe: badShape })).toMatchObject({ code: 'bad_request', path: 'recipe.kan.width' });
    expect(await fail('runs.create', { recipe: { ...recipe, steps: [{ fit: { steps: -1 } }] } })).toMatchObject({ code: 'bad_request', path: 'recipe.steps[0].fit.steps' });
    expect(await fail('runs.get', { id: 'missing' })).toMatchObject({ code: 'not_found' });
  });

  it('refuses a recipe whose steps name what does not exist before storing or training anything', async () => {
    const before = (await call('runs.list', {})).total;
    const badLayer = await fail('runs.create', { recipe: { ...recipe, steps: [recipe.steps[0]!, { fixSymbolic: { layer: 99, input: 0, output: 0, fn: 'sin' } }] } });
    expect(badLayer).toMatchObject({ code: 'bad_request', path: 'recipe.steps[1].fixSymbolic.layer' });
    expect(badLayer.message).toMatch(/the KAN \[2, 3, 1\] has edge layers 0 to 1; layer 99 does not exist/);
    expect(await fail('runs.create', { recipe: { ...recipe, steps: [{ autoSymbolic: { lib: ['constructor'] } }] } })).toMatchObject({ path: 'recipe.steps[0].autoSymbolic.lib[0]' });
    expect(await fail('runs.create', { recipe: { ...recipe, customFunctions: [{ name: 'f', expr: 'evaluate("1")', complexity: 1 }] } })).toMatchObject({ path: 'recipe.customFunctions[0].expr' });
    expect((await call('runs.list', {})).total).toBe(before);
    // Steps added to a stored run are checked against its KAN too, and the run stays as it was.
    const edited = await fail('runs.applySteps', { id: baseRun, steps: [{ prune: { nodes: ['1.99'] } }] });
    expect(edited).toMatchObject({ code: 'bad_request' });
    expect(edited.message).toMatch(/steps\[2\]\.prune\.nodes\[0\]: node "1\.99": layer 1 of the KAN \[2, 3, 1\] has nodes 0 to 2/);
    expect(await call('runs.get', { id: baseRun })).toMatchObject({ status: 'done' });
  });

  it('trains a CSV with a constant column on the kept inputs from a width that counts it, and branches from its snapshots', async () => {
    const rows = Array.from({ length: 80 }, (_, i) => {
      const [a, b] = [Math.sin(i), Math.cos(3 * i)];
      return `${a.toFixed(4)},5,${b.toFixed(4)},${(a * b).toFixed(5)}`;
    });
    const dataset = await call('datasets.importCsv', { name: 'with a constant', text: `a,c,b,y\n${rows.join('\n')}\n` });
    const withConstant = { ...recipe, kan: { ...recipe.kan, width: [3, 3, 1] }, mlp: { width: [3, 6, 1] }, data: { csv: `dataset:${dataset.id}`, target: ['y'] } };
    const run = await finished((await call('runs.create', { recipe: withConstant })).id);
    expect(run.status).toBe('done');
    const branch = await finished((await call('runs.branch', { id: run.id, step: 0, steps: [recipe.steps[1]!] })).id);
    expect(branch.status).toBe('done');
    expect(models(branch.steps[1]!)).toEqual(models(run.steps[1]!));
  }, 30_000);

  it('re-runs a recipe to the same numbers', async () => {
    const again = await call('runs.rerun', { id: baseRun });
    expect(again.name).toBe('product baseline (re-run)');
    const [a, b] = [await finished(baseRun), await finished(again.id)];
    expect(b.steps.map(models)).toEqual(a.steps.map(models));
  }, 20_000);

  it('branches from a stored step and continues exactly as the original did', async () => {
    const branch = await call('runs.branch', { id: baseRun, step: 0, steps: [recipe.steps[1]!] });
    expect(branch).toMatchObject({ parentRunId: baseRun, parentStep: 0 });
    const [parent, child] = [await finished(baseRun), await finished(branch.id)];
    expect(child.status).toBe('done');
    expect(child.steps.map((s) => s.idx)).toEqual([0, 1]);
    // Step 0 is the parent's, copied; step 1 was trained from the parent's snapshot and lands on the same numbers.
    expect(child.steps[0]!.metrics).toEqual(parent.steps[0]!.metrics);
    expect(models(child.steps[1]!)).toEqual(models(parent.steps[1]!));
    expect(await fail('runs.branch', { id: baseRun, step: 7, steps: [] })).toMatchObject({ code: 'bad_request', path: 'step' });
  }, 20_000);

  it('appends interactive steps to a finished run and reverts them', async () => {
    const run = await call('runs.create', { recipe: { ...recipe, steps: [recipe.steps[0]!] } });
    await finished(run.id);
    const reopened = await call('runs.applySteps', { id: run.id, steps: [{ refine: { grid: 5 } }, recipe.steps[1]!] });
    expect(reopened.status).toBe('queued');
    expect(await fail('runs.revert', { id: run.id, step: 0 })).toMatchObject({ code: 'conflict' });
    const edited = await finished(run.id);
    expect(edited.status).toBe('done');
    expect(edited.steps.map((s) => s.kind)).toEqual(['fit', 'refine', 'fit']);
    expect((edited.recipe as { steps: unknown[] }).steps).toHaveLength(3);
    // 9 edges, each with G + k = 8 spline coefficients and the two scales w_b, w_s.
    expect(edited.summary.kanParams).toBe(9 * (5 + 3 + 2));

    const reverted = await call('runs.revert', { id: run.id, step: 0 });
    expect(reverted.summary.steps).toBe(1);
    const after = await call('runs.get', { id: run.id });
    expect(after.steps.map((s) => s.idx)).toEqual([0]);
    expect((after.recipe as { steps: unknown[] }).steps).toHaveLength(1);
    expect(await call('runs.curves', { id: run.id })).toHaveLength(10);
    expect(after.summary.kanTestRmse).toBe((after.steps[0]!.metrics as { kan: { testRmse: number } }).kan.testRmse);
  }, 20_000);

  it('annotates, finds and deletes runs', async () => {
    await call('runs.setTags', { id: baseRun, tags: ['paper', ' baseline ', 'paper'] });
    await call('runs.setNote', { id: baseRun, note: 'the reference run for figure 3' });
    const renamed = await call('runs.rename', { id: baseRun, name: 'product reference' });
    expect(renamed).toMatchObject({ tags: ['baseline', 'paper'], note: 'the reference run for figure 3', name: 'product reference' });
    expect((await call('runs.list', { search: 'figure 3' })).rows.map((r) => r.id)).toEqual([baseRun]);
    expect((await call('runs.list', { tags: ['paper'] })).total).toBe(1);
    const good = await call('runs.list', { metric: { key: 'kanTestRmse', max: 1 }, sortBy: 'kanTestRmse', sortDir: 'asc' });
    expect(good.total).toBeGreaterThanOrEqual(4);
    const values = good.rows.map((r) => r.summary.kanTestRmse as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(await fail('runs.list', { limit: 5000 })).toMatchObject({ code: 'bad_request', path: 'limit' });

    const doomed = await call('runs.create', { recipe: tinyRecipe({ fits: 3, fitSteps: 200, rows: 400 }) });
    expect(await call('runs.delete', { id: doomed.id })).toEqual({ deleted: true });
    expect(backend.host.isActive(doomed.id)).toBe(false);
    expect(await call('runs.delete', { id: doomed.id })).toEqual({ deleted: false });
    expect(await fail('datasets.delete', { id: datasetId })).toMatchObject({ code: 'conflict' });
  }, 20_000);

  it('cancels a run created without starting it, and starts one on request', async () => {
    const idle = await call('runs.create', { recipe, start: false });
    expect(backend.host.isActive(idle.id)).toBe(false);
    expect(await call('runs.cancel', { id: idle.id })).toEqual({ cancelled: true });
    expect((await call('runs.get', { id: idle.id })).status).toBe('cancelled');
    expect(await fail('runs.start', { id: idle.id })).toMatchObject({ code: 'conflict' });
    const later = await call('runs.create', { recipe: tinyRecipe({ fits: 1 }), start: false });
    await call('runs.start', { id: later.id });
    expect((await finished(later.id)).status).toBe('done');
  }, 20_000);
});

describe('model inspection', () => {
  it('shows every edge with its curve and data, scores, and a pruning preview', async () => {
    const recipe = tinyRecipe({ fits: 1, fitSteps: 10 });
    const created = await call('runs.create', { recipe });
    const run = await finished(created.id);
    const network = await call('model.network', { runId: run.id, points: 11, dataPoints: 30 });
    expect(network).toMatchObject({ width: [2, 3, 1], inputNames: ['x1', 'x2'], outputNames: ['y'], task: 'regression', step: 0 });
    expect(network.edges).toHaveLength(2 * 3 + 3 * 1);
    expect(network.nodeScores.map((scores) => scores.length)).toEqual([2, 3, 1]);
    for (const edge of network.edges) {
      expect(edge.kind).toBe('numeric');
      expect(edge.curveX).toHaveLength(11);
      expect(edge.dataY).toHaveLength(30);
      expect(Number.isFinite(edge.importance)).toBe(true);
    }

    // The output is the sum of its incoming edges: check against the stored model's own forward pass.
    const kan = deserializeKan(backend.store.getSnapshot(run.id, 0, 'kan')!, (name) => resolveSymbolicFunction(name));
    const data = prepareData(parseRecipe(recipe), () => '');
    const firstLayer = network.edges.filter((e) => e.layer === 0 && e.input === 0);
    const x = new Float64Array(firstLayer[0]!.dataX.length * 2);
    const secondLayer = network.edges.filter((e) => e.layer === 1);
    // dataX of layer-0 edges are training inputs sampled by stride; rebuild those rows and predict them.
    const stride = data.train.n / 30;
    for (let s = 0; s < 30; s++) x.set(data.train.x.subarray(Math.floor(s * stride) * 2, Math.floor(s * stride) * 2 + 2), s * 2);
    expect(Array.from(x.filter((_, i) => i % 2 === 0))).toEqual(firstLayer[0]!.dataX);
    const predicted = kan.forward(x, 30);
    for (let s = 0; s < 30; s++) {
      const sum = secondLayer.reduce((total, edge) => total + edge.dataY[s]!, 0);
      expect(sum).toBeCloseTo(predicted[s]!, 12);
    }

    const edge = await call('model.edge', { runId: run.id, layer: 1, input: 2, output: 0, points: 11, dataPoints: 30 });
    expect(edge).toEqual(network.edges.find((e) => e.layer === 1 && e.input === 2));
    expect(await fail('model.edge', { runId: run.id, layer: 0, input: 0, output: 5 })).toMatchObject({ code: 'bad_request', path: 'output' });
    expect(await fail('model.network', { runId: run.id, step: 4 })).toMatchObject({ code: 'bad_request', path: 'step' });

    const everything = await call('prune.preview', { runId: run.id, nodeThreshold: 1e9, edgeThreshold: 0 });
    // A hidden layer keeps its best node; the other two go.
    expect(everything.nodes.map((n) => n.layer)).toEqual([1, 1]);
    const best = network.nodeScores[1]!.indexOf(Math.max(...network.nodeScores[1]!));
    expect(everything.nodes.map((n) => n.index)).not.toContain(best);
    expect(await call('prune.preview', { runId: run.id, nodeThreshold: 0, edgeThreshold: 0 })).toEqual({ nodes: [], edges: [] });
  }, 20_000);
});

describe('symbolic regression and formulas', () => {
  // y = 2 x1 + 1 on a [1, 1] KAN: one edge, whose best symbolic form is the identity with a = 2, b = 1 (or c, d).
  const recipe = {
    seed: 0, data: { formula: '2*x1 + 1', vars: 1, range: [-1, 1] as [number, number], train: 200, test: 100 }, kan: { width: [1, 1], grid: 5 },
    steps: [{ fit: { steps: 20 } }],
  };
  let runId = '';

  beforeAll(async () => {
    runId = (await call('runs.create', { recipe })).id;
    await finished(runId);
  }, 20_000);

  it('ranks library functions for an edge, the identity first, with fitted curves on the edge\'s range', async () => {
    const library = await call('symbolic.library', {});
    expect(library.map((f) => f.name)).toEqual(expect.arrayContaining(['x', 'x^2', 'sin', 'exp', 'log', 'tanh']));
    const suggestions = await call('symbolic.suggest', { runId, layer: 0, input: 0, output: 0, topK: 3, lib: ['x', 'x^2', 'sin', 'exp'] });
    expect(suggestions.candidates).toHaveLength(3);
    const [best] = suggestions.candidates;
    expect(best!.name).toBe('x');
    expect(best!.r2).toBeGreaterThan(0.9999);
    const edge = await call('model.edge', { runId, layer: 0, input: 0, output: 0, points: 200 });
    expect(suggestions.curveX).toEqual(edge.curveX);
    best!.curve.forEach((y, p) => expect(y).toBeCloseTo(edge.curveY[p]!, 2));
    expect(await fail('symbolic.suggest', { runId, layer: 0, input: 0, output: 0, lib: ['nope'] })).toMatchObject({ code: 'bad_request', path: 'lib' });
  });

  it('makes the edge symbolic, retrains it to machine precision, and exports the formula in every format', async () => {
    const numeric = await call('formula.get', { runId });
    expect(numeric.numericEdges).toEqual(['0.0.0']);
    expect(numeric.outputs[0]!.testRmse).toBeNull();
    expect(await fail('formula.export', { runId, format: 'js' })).toMatchObject({ code: 'conflict' });

    await call('runs.applySteps', { id: runId, steps: [{ fixSymbolic: { layer: 0, input: 0, output: 0, fn: 'x' } }, { fit: { steps: 10 } }, { formula: {} }] });
    const run = await finished(runId);
    expect(run.steps.map((s) => s.kind)).toEqual(['fit', 'fixSymbolic', 'fit', 'formula']);
    expect(backend.store.getFormulas(runId)).toMatchObject([{ stepIdx: 3, outputIdx: 0 }]);
    expect(run.summary.formula).toMatch(/x1/);

    const formula = await call('formula.get', { runId, digits: 4 });
    expect(formula.numericEdges).toEqual([]);
    expect(formula.outputs[0]!.testRmse).toBeLessThan(1e-6);
    expect(formula.modelTestRmse).toBeLessThan(1e-6);
    const js = await call('formula.export', { runId, format: 'js' });
    expect(js).toMatchObject({ filename: 'formula.js', mime: 'text/javascript' });
    const body = /\{\n {2}(return .*;)\n\}/.exec(js.content)![1]!;
    const y = new Function('x1', body) as (x: number) => number;
    for (const x of [-0.9, 0, 0.3, 0.8]) expect(y(x)).toBeCloseTo(2 * x + 1, 6);
    expect((await call('formula.export', { runId, format: 'python' })).content).toMatch(/^x1, = sp\.symbols\('x1'\)$/m);
    expect((await call('formula.export', { runId, format: 'text' })).content).toMatch(/^y = .*x1/);
    expect((await call('formula.export', { runId, format: 'latex' })).content).toMatch(/^y = .*x_\{?1/);
    const document = await call('formula.export', { runId, format: 'latex-document' });
    expect(document.content).toMatch(/\\begin\{document\}[\s\S]*\\end\{document\}/);
    expect(document.filename).toBe('formula-document.tex');
  }, 20_000);
});

describe('settings and app', () => {
  it('keeps settings in a file and applies them', async () => {
    const defaults = await call('settings.get', {});
    expect(defaults).toEqual({ backend: 'auto', threads: 1, dataFolder: tmp, theme: 'system', runMemoryLimitMb: null });
    expect(await call('settings.set', { threads: 2, theme: 'dark' })).toMatchObject({ threads: 2, theme: 'dark' });
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'settings.json'), 'utf8'))).toMatchObject({ threads: 2, theme: 'dark' });
    expect(await fail('settings.set', { dataFolder: 'relative/folder' })).toMatchObject({ code: 'bad_request', path: 'dataFolder' });
    expect(await fail('settings.set', { threads: 0 })).toMatchObject({ code: 'bad_request', path: 'threads' });
    await call('settings.set', { threads: 1 });
  });

  it('accepts known backends only, and never a data folder from a request', async () => {
    const unknown = await fail('settings.set', { backend: 'no-such-backend' });
    expect(unknown).toMatchObject({ code: 'bad_request', path: 'backend' });
    expect(unknown.message).toMatch(/unknown compute backend "no-such-backend"; choose "auto" .* or one of reference, wasm, .*threads/);
    expect(await call('settings.set', { backend: 'reference' })).toMatchObject({ backend: 'reference' });
    expect(await call('settings.set', { backend: 'auto' })).toMatchObject({ backend: 'auto' });
    const elsewhere = path.join(os.tmpdir(), 'kanbench-elsewhere');
    const folder = await fail('settings.set', { dataFolder: elsewhere });
    expect(folder).toMatchObject({ code: 'bad_request', path: 'dataFolder' });
    expect(folder.message).toMatch(/chosen in the desktop app with its folder dialog/);
    // Sending the current value back (a form that posts every field) changes nothing and is fine.
    expect(await call('settings.set', { dataFolder: tmp, theme: 'light' })).toMatchObject({ dataFolder: tmp, theme: 'light' });
    expect((await call('settings.get', {})).dataFolder).toBe(tmp);
    expect(await call('dialog.chooseDataFolder', {})).toEqual({ available: false });
  });

  it('describes itself, times a training step, and has no native dialogs outside Electron', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    const info = await call('app.info', {});
    expect(info).toMatchObject({ version: pkg.version, apiVersion: 1, storePath: path.join(tmp, 'experiments.db') });
    // Every backend is listed; the reference and the worker-thread one always run in Node, gpu.js in a browser never does.
    const available = (name: string): boolean | undefined => info.backends.find((b) => b.name === name)?.available;
    expect(available('reference')).toBe(true);
    expect(available('gpujs-cpu')).toBe(true);
    expect(available('gpujs-webgl2')).toBe(false);
    const bench = await call('backends.bench', { width: [2, 3, 1], grid: 3, k: 3, batch: 64 });
    const reference = bench.timings.find((t) => t.name === 'reference')!;
    expect(reference.secondsPerStep).toBeGreaterThan(0);
    expect(reference.secondsPerStep).toBeLessThan(1);
    expect(bench.timings.map((t) => t.name)).toContain(bench.pick);
    expect(await call('dialog.saveText', { defaultName: 'f.tex', content: 'x' })).toEqual({ available: false, saved: false });
    expect(await call('dialog.openCsv', {})).toEqual({ available: false });
  }, 90_000);
});
