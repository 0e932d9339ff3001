// formula.get and formula.export on a discover step, through the dispatcher on a real store and training host: the step's
// chosen formula by default, any row of its Pareto front on request, and clear errors for rows that do not exist.
import { beforeAll, describe, expect, it } from 'vitest';

import { readDiscovery, type ApiErrorBody, type OperationName, type RequestOf, type ResponseOf } from '../../app/api/contract';
import { callFails, callOk } from './helpers/api';
import { backendForFile } from './helpers/file-backend';

const fixture = backendForFile('discover-formula');

const call = <O extends OperationName>(op: O, payload: RequestOf<O>): Promise<ResponseOf<O>> => callOk(fixture.backend, op, payload);
const fail = (op: string, payload: unknown): Promise<ApiErrorBody> => callFails(fixture.backend, op, payload);

describe('the formula of a discover step', () => {
  let runId = '';

  beforeAll(async () => {
    const recipe = {
      seed: 0, data: { formula: 'x1*x2', vars: 2, range: [1, 3] as [number, number], train: 300, test: 100 }, kan: { width: [2, 3, 1], grid: 3, k: 3 },
      steps: [{ fit: { steps: 5 } }],
    };
    runId = (await call('runs.create', { recipe })).id;
    await fixture.backend.host.waitFor(runId);
    await call('runs.applySteps', { id: runId, steps: [{ discover: { timeBudget: 20 } }] });
    await fixture.backend.host.waitFor(runId);
  }, 120_000);

  it('is the formula discovery chose, and any row of the front when asked, in every export', async () => {
    const run = await call('runs.get', { id: runId });
    const step = run.steps[run.steps.length - 1]!;
    expect(step.kind).toBe('discover');
    const front = readDiscovery(step.metrics.details)!.fronts[0]!;
    expect(front.length).toBeGreaterThan(1);
    const chosen = front.find((r) => r.chosen)!;
    expect(run.summary.formula).toBe(chosen.text);

    const byDefault = await call('formula.get', { runId });
    expect(byDefault.outputs).toEqual([{ outputIdx: 0, text: chosen.text, latex: chosen.latex, python: chosen.python, js: chosen.js, testRmse: chosen.testRmse }]);
    expect(byDefault.numericEdges).toEqual([]);

    const other = front.findIndex((r) => !r.chosen);
    const shown = await call('formula.get', { runId, paretoRows: [other] });
    expect(shown.outputs[0]!.python).toBe(front[other]!.python);
    expect(shown.outputs[0]!.python).not.toBe(chosen.python);
    const python = await call('formula.export', { runId, paretoRows: [other], format: 'python' });
    expect(python.content).toContain(`y = sp.sympify(${JSON.stringify(front[other]!.python)}`);
    const text = await call('formula.export', { runId, paretoRows: [other], format: 'text' });
    expect(text.content).toBe(`y = ${front[other]!.text}\n`);
  });

  it('says which rows exist when asked for one that does not', async () => {
    const run = await call('runs.get', { id: runId });
    const rows = readDiscovery(run.steps[run.steps.length - 1]!.metrics.details)!.fronts[0]!.length;
    expect(await fail('formula.get', { runId, paretoRows: [rows] })).toMatchObject({ code: 'bad_request', path: 'paretoRows.0', message: expect.stringContaining(`rows 0..${rows - 1}`) });
    expect(await fail('formula.get', { runId, paretoRows: [0, 0] })).toMatchObject({ code: 'bad_request', path: 'paretoRows' });
    expect(await fail('formula.get', { runId, step: 0, paretoRows: [0] })).toMatchObject({ code: 'bad_request', message: expect.stringContaining('no Pareto front') });
  });
});
