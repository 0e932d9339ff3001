// End to end, the honest comparison a new user meets: digits imported as a CSV train as a classification (inferred
// from the label) with Setup's defaults (a validation split, early stopping on), and the run's view and Compare show the
// majority-class and logistic-regression baselines beside the KAN and the MLP under named metrics; a run whose MLP no
// fit trained reads "not trained" in Training and History, never a number; a fit that diverged says so with its stored
// reason. Screenshots go where workbench.test.ts
// puts its own.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, haveChromium, openWorkbench, ROOT, shot, switchView, type Workbench } from './harness';

const DIGITS = path.join(ROOT, 'tests/integration/fixtures/digits-514.csv');

let bench: Workbench;
let page: Page;

/** The text of each cell of a scores table's row for `model`. */
async function scoreCells(scope: string, model: string): Promise<string[]> {
  return page.locator(`${scope} [data-testid="scores-table"] tr[data-model="${model}"] td`).allInnerTexts();
}

describe.skipIf(!haveChromium)('honest comparison in Chromium against kanbench serve', () => {
  beforeAll(async () => {
    bench = await openWorkbench();
    page = bench.page;
  }, 300_000);

  afterAll(async () => {
    await bench?.close();
  });

  it('trains digits as a classification with defaults and shows the baselines beside KAN and MLP', { timeout: 600_000 }, async () => {
    await page.goto(bench.url);
    await page.waitForSelector('[data-view="data"] h1');

    // Import: the constant pixel columns are named at once, and the 0-9 label makes the task a classification.
    await page.setInputFiles('[data-testid="csv-input"]', DIGITS);
    await page.locator('[data-testid="csv-preview"] table').waitFor();
    expect(await page.locator('[data-testid="csv-profile"]').innerText()).toMatch(/constant columns \(px0/);
    await page.click('[data-action="import-csv"]');
    await page.locator('[data-testid="task"]').waitFor();
    expect(await page.locator('[data-testid="task"]').inputValue()).toBe('classification');
    expect(await page.locator('[data-testid="task-reason"]').innerText()).toMatch(/10 distinct/);

    // Setup's defaults: 20% validation rows, early stopping on for measured data, said in the hint.
    await switchView(page, 'setup');
    expect(await page.locator('[data-field="validation-fraction"]').inputValue()).toBe('0.2');
    expect(await page.locator('[data-field="early-stopping"]').isChecked()).toBe(true);
    expect(await page.locator('[data-testid="selection-hint"]').innerText()).toMatch(/20% of the training rows choose the model: each fit stops/);
    expect(await page.locator('[data-testid="setup-task"]').innerText()).toMatch(/classification/);
    const recipe = JSON.parse((await page.locator('.recipe pre').textContent()) ?? '') as { data: { validationFraction: number }; steps: { fit?: { earlyStopping?: boolean } }[] };
    expect(recipe.data.validationFraction).toBe(0.2);
    expect(recipe.steps[0]!.fit!.earlyStopping).toBe(true);
    await page.fill('[data-field="name"]', 'e2e digits honest');
    await shot(page, 'honest-01-setup');

    await page.click('[data-action="create-run"]');
    await page.waitForSelector('[data-view="training"]');
    await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 480_000 });
    await page.locator('[data-testid="loss-chart"] canvas').first().waitFor();

    // The run's view: KAN and MLP trained, then the majority class and logistic regression, under accuracy and macro-F1.
    const training = '[data-view="training"]';
    await page.locator(`${training} [data-testid="scores-table"] tr[data-model="logistic"]`).waitFor();
    const models = await page.locator(`${training} [data-testid="scores-table"] tbody tr`).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')));
    expect(models).toEqual(['kan', 'mlp', 'majority', 'logistic']);
    const header = await page.locator(`${training} [data-testid="scores-table"] thead`).innerText();
    expect(header).toMatch(/Accuracy/);
    expect(header).toMatch(/Macro-F1/);
    expect(header).toMatch(/val/);
    for (const model of ['kan', 'mlp', 'majority', 'logistic']) {
      const cells = await scoreCells(training, model);
      // Model, parameters, then accuracy and macro-F1 on train, validation and test: all numbers in [0, 1].
      expect(cells).toHaveLength(8);
      for (const cell of cells.slice(2)) expect(Number(cell)).toBeGreaterThanOrEqual(0);
      for (const cell of cells.slice(2)) expect(Number(cell)).toBeLessThanOrEqual(1);
    }
    // Ten balanced classes: the majority class is right about one time in ten; logistic regression far more often.
    expect(Number((await scoreCells(training, 'majority'))[4])).toBeLessThan(0.25);
    expect(Number((await scoreCells(training, 'logistic'))[4])).toBeGreaterThan(0.8);
    expect(await page.locator(`${training} [data-testid="steps-table"] thead`).innerText()).toMatch(/KAN val accuracy/);
    const logisticInTraining = await scoreCells(training, 'logistic');
    await shot(page, 'honest-02-training-digits');

    await switchView(page, 'compare');
    const compare = '[data-view="compare"]';
    await page.locator(`${compare} [data-testid="scores-table"] tr[data-model="logistic"]`).waitFor();
    const compared = await page.locator(`${compare} [data-testid="scores-table"] tbody tr`).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')));
    expect(compared).toEqual(['kan', 'mlp', 'majority', 'logistic']);
    expect(await scoreCells(compare, 'logistic')).toEqual(logisticInTraining);
    await shot(page, 'honest-03-compare-baselines');
    expect(bench.pageErrors).toEqual([]);
  });

  it('says "not trained" for an MLP no fit trained, in Training and in History', { timeout: 300_000 }, async () => {
    // A recipe whose only fit trains the KAN: the MLP exists (it has a size) but has no figures.
    const row = (await callApi(bench.url, 'runs.create', {
      name: 'e2e mlp never trained',
      recipe: {
        seed: 0, data: { formula: 'x1*x2', vars: 2, train: 100, test: 50 }, kan: { width: [2, 2, 1], grid: 3 },
        mlp: { width: [2, 4, 1] }, steps: [{ fit: { steps: 3, models: ['kan'] } }],
      },
    })).result as { id: string };
    await switchView(page, 'history');
    const historyRow = page.locator(`[data-testid="history-table"] tr[data-run="${row.id}"]`);
    await page.waitForFunction((id) => document.querySelector(`[data-testid="history-table"] tr[data-run="${id}"] .badge.done`) !== null, row.id, { timeout: 120_000 });
    expect(await page.locator(`[data-testid="mlp-test-${row.id}"]`).innerText()).toBe('not trained');
    expect(await historyRow.locator('td.kan').innerText()).toMatch(/^\d/);
    await shot(page, 'honest-04-history-not-trained');

    await historyRow.click();
    await page.click('[data-action="open"]');
    await switchView(page, 'training');
    const mlp = page.locator('[data-view="training"] [data-testid="scores-table"] tr[data-model="mlp"]');
    await mlp.waitFor();
    expect(await mlp.getAttribute('data-status')).toBe('not trained');
    expect(await mlp.locator('[data-testid="not-trained"]').innerText()).toBe('not trained');
    expect(await page.locator('[data-view="training"] [data-testid="steps-table"] tbody tr td.mlp').allInnerTexts()).toEqual(['not trained', 'not trained', 'not trained']);
    await shot(page, 'honest-05-training-not-trained');
    expect(bench.pageErrors).toEqual([]);
  });

  it('shows DIVERGED with the stored reason when a fit blew up (Adam at lr 1e6 after a good fit)', { timeout: 300_000 }, async () => {
    const row = (await callApi(bench.url, 'runs.create', {
      name: 'e2e diverged',
      recipe: {
        seed: 0, data: { formula: 'x1*x2', vars: 2, train: 100, test: 50 }, kan: { width: [2, 2, 1], grid: 3 },
        steps: [{ fit: { steps: 3 } }, { fit: { opt: 'adam', lr: 1e6, steps: 20 } }],
      },
    })).result as { id: string };
    await switchView(page, 'history');
    const historyRow = page.locator(`[data-testid="history-table"] tr[data-run="${row.id}"]`);
    await page.waitForFunction((id) => document.querySelector(`[data-testid="history-table"] tr[data-run="${id}"] .badge.failed`) !== null, row.id, { timeout: 120_000 });
    await historyRow.click();
    await page.click('[data-action="open"]');
    await page.waitForSelector('[data-view="training"]');
    const notice = page.locator('[data-view="training"] [data-testid="diverged"]');
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/^DIVERGED in step 2: KAN diverged at iteration \d+ of \d+: .*restored/);
    await shot(page, 'honest-06-training-diverged');
    expect(bench.pageErrors).toEqual([]);
  });
});
