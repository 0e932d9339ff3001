// End to end: in Debian's Chromium against `kanbench serve` with a fresh store, a user creates a formula dataset, runs
// Setup's sweep of model sizes from two initialisations each and sees KAN and MLP points, with means ± standard
// deviations, on both Pareto fronts; the screenshot goes to
// KANBENCH_SCREENSHOTS (default test-output/screenshots).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, openWorkbench, shot, switchView, type Workbench } from './harness';

let bench: Workbench;
let page: Page;

describe.skipIf(!haveChromium)('the sweep in Chromium against kanbench serve', () => {
  beforeAll(async () => {
    bench = await openWorkbench({ viewport: { width: 1280, height: 900 } });
    page = bench.page;
  }, 120_000);

  afterAll(async () => {
    await bench?.close();
  });

  it('sweeps model sizes on a formula dataset and draws both Pareto fronts', { timeout: 300_000 }, async () => {
    await page.goto(bench.url);
    await page.waitForSelector('[data-view="data"] h1');
    // The formula tab's default is exp(sin(pi*x1) + x2^2) on [-1, 1]; fewer rows keep the sweep short.
    await page.click('[data-tab="formula"]');
    expect(await page.locator('[data-testid="formula-input"]').inputValue()).toBe('exp(sin(pi*x1) + x2^2)');
    await page.locator('label', { hasText: 'Train rows' }).locator('input').fill('200');
    await page.locator('label', { hasText: 'Test rows' }).locator('input').fill('200');
    await page.click('[data-action="create-formula"]');
    await page.waitForFunction(() => document.querySelector('[data-nav="setup"]') !== null);

    await switchView(page, 'setup');
    await page.fill('[data-field="steps"]', '5');
    // Two initialisations per model: the figures become means with their standard deviations.
    await page.fill('[data-field="sweep-repeats"]', '0');
    await page.locator('[role="alert"]', { hasText: 'Sweep initialisations: must be at least 1' }).waitFor();
    expect(await page.locator('[data-action="create-sweep"]').isDisabled()).toBe(true);
    await page.fill('[data-field="sweep-repeats"]', '2');
    await page.click('[data-action="create-sweep"]');
    await page.waitForSelector('[data-view="training"]');
    await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 240_000 });
    await page.locator('[data-testid="sweep-chart"] canvas').first().waitFor();

    const kanFront = await page.locator('[data-testid="sweep-fronts"] tr[data-family="kan"]').count();
    const mlpFront = await page.locator('[data-testid="sweep-fronts"] tr[data-family="mlp"]').count();
    expect(kanFront).toBeGreaterThan(0);
    expect(mlpFront).toBeGreaterThan(0);
    const note = await page.locator('[data-testid="sweep-note"]').innerText();
    expect(note).toMatch(/^16 models, 5 L-BFGS steps each, from 2 initialisations each \(figures are their means ± standard deviations\) on 200 rows; fronts chosen by validation RMSE on 40 rows \(data\.validation\), tested on 200 rows/);
    // Every front row's validation and test figures are a mean ± a standard deviation over the two initialisations.
    const frontCells = await page.locator('[data-testid="sweep-fronts"] tr[data-family] td').allInnerTexts();
    expect(frontCells.filter((cell) => /^\d\S* ± \d/.test(cell)).length).toBe(2 * (kanFront + mlpFront));
    // KAN against MLP at equal budgets: two initialisations give p of at least 1/3, so no row claims a winner, and the
    // note says how many initialisations a verdict needs.
    const verdictRows = page.locator('[data-testid="sweep-verdict"] tbody tr');
    expect(await verdictRows.count()).toBeGreaterThan(0);
    for (const row of await verdictRows.allInnerTexts()) expect(row).toMatch(/\t(0\.3\d|0\.[4-9]\d?|1(\.0)?)\tno difference shown$/);
    expect(await page.locator('[data-testid="sweep-verdict-note"]').innerText()).toMatch(/With 2 initialisations per model no p-value can fall that low/);
    // The run's own models never trained: the steps table says where the figures are instead of showing theirs.
    expect(await page.locator('[data-testid="steps-table"] tbody tr').innerText()).toMatch(/16 models: see the sweep above/);
    await page.locator('[data-testid="sweep-panel"]').scrollIntoViewIfNeeded();
    await shot(page, 'sweep-validation');
    await page.click('[data-action="sweep-test"]');
    expect(await page.locator('[data-testid="sweep-panel"] h2').innerText()).toBe('Parameters vs test RMSE');
    await shot(page, 'sweep-test');
    expect(bench.pageErrors).toEqual([]);
  });

  it('compares runs on different data and tasks on separate panels, each naming its metric and loss', { timeout: 300_000 }, async () => {
    // The sweep-only run has no trained model of its own: Compare says where its results are.
    await page.click('[data-nav="compare"]');
    await page.locator('[data-testid="compare-sweep-only"]').waitFor();

    // A regression run on the formula data and a classification run on iris.
    const train = async (): Promise<void> => {
      await page.click('[data-nav="setup"]');
      await page.fill('[data-field="steps"]', '3');
      await page.click('[data-action="create-run"]');
      await page.waitForSelector('[data-view="training"]');
      await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 120_000 });
    };
    await train();
    await page.click('[data-nav="data"]');
    await page.click('[data-sample="iris"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-view="data"] li').length >= 2);
    await train();

    await page.click('[data-nav="history"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-table"] tbody tr').length === 3);
    const rows = page.locator('[data-testid="history-table"] tbody tr');
    for (let i = 0; i < 3; i++) await rows.nth(i).locator('input[type="checkbox"]').check();
    await page.click('[data-action="compare"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-group"]').length === 2);
    expect(await page.locator('[data-testid="compare-mixed-note"]').innerText()).toMatch(/2 different datasets or tasks/);
    const groups = page.locator('[data-testid="compare-group"]');
    const heads = async (task: string): Promise<string> => page.locator(`[data-testid="compare-group"][data-task="${task}"]`).innerText();
    expect(await groups.count()).toBe(2);
    const regression = await heads('regression');
    const classification = await heads('classification');
    expect(regression).toMatch(/Train RMSE\s+Test RMSE/);
    expect(regression).toMatch(/Test loss \(MSE\)/);
    expect(regression).not.toMatch(/accuracy|cross-entropy/);
    expect(classification).toMatch(/Train accuracy\s+Test accuracy/);
    expect(classification).toMatch(/Test loss \(cross-entropy\)/);
    expect(classification).not.toMatch(/RMSE|MSE\)/);
    await page.locator('[data-testid="pareto-chart"] canvas').first().waitFor();
    await shot(page, 'compare-grouped');
    expect(bench.pageErrors).toEqual([]);
  });
});
