// End to end: a new user in Debian's Chromium (driven by playwright-core) against `kanbench serve` with a fresh store
// imports a CSV, trains a KAN and an MLP, compares, prunes, fixes a symbolic edge, runs auto-symbolic, reads and exports
// the formula, and finds the run in History after a reload. Screenshots of each view go to KANBENCH_SCREENSHOTS
// (default test-output/screenshots); timings are printed and written beside them.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, haveChromium, openWorkbench, shot, SHOTS, type Workbench } from './harness';

const RUN_NAME = 'e2e sin-square-linear';

let bench: Workbench;
let page: Page;
const timings: Record<string, number> = {};

/** y = sin(pi x1) + x2^2 + 0.5 x3 (x4 is noise the KAN should learn to ignore), 300 rows on a fixed grid of seeds. */
function knownFormulaCsv(): string {
  let seed = 12345;
  const uniform = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31) * 2 - 1;
  };
  const lines = ['x1,x2,x3,x4,y'];
  for (let i = 0; i < 300; i++) {
    const x = [uniform(), uniform(), uniform(), uniform()];
    const y = Math.sin(Math.PI * x[0]!) + x[1]! ** 2 + 0.5 * x[2]!;
    lines.push([...x, y].map((v) => v.toFixed(6)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Clicks a sidebar entry and returns the time (ms, measured in the page) until the first animation frame in which the
 * view is in the page: that frame paints it.
 */
async function switchView(view: string): Promise<number> {
  const ms = await page.evaluate(async (name) => {
    const t0 = performance.now();
    (document.querySelector(`[data-nav="${name}"]`) as HTMLButtonElement).click();
    return new Promise<number>((resolve) => {
      const check = (): void => {
        if (document.querySelector(`[data-view="${name}"]`)) resolve(performance.now() - t0);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  }, view);
  const key = `firstSwitchTo${view[0]!.toUpperCase()}${view.slice(1)}Ms`;
  if (!(key in timings)) timings[key] = Math.round(ms);
  return ms;
}

/** The KAN test figure the Inspect step list shows for the latest step. */
async function kanTestFigureOfLastStep(): Promise<number> {
  const text = await page.locator('[data-testid="inspect-steps"] li').last().innerText();
  const match = /KAN test ([\d.e+-]+)/.exec(text);
  if (!match) throw new Error(`no KAN test figure in "${text}"`);
  return Number(match[1]);
}

async function stepCount(): Promise<number> {
  return page.locator('[data-testid="inspect-steps"] li').count();
}

/** Waits until the Inspect view shows `steps` steps and no edit is in progress. */
async function waitForSteps(steps: number, timeout = 90_000): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="inspect-steps"] li').length === n && !document.querySelector('[data-testid="inspect-busy"]'),
    steps,
    { timeout },
  );
  const error = await page.locator('[data-testid="inspect-error"]').count();
  if (error > 0) throw new Error(`Inspect shows an error: ${await page.locator('[data-testid="inspect-error"]').innerText()}`);
}

/** The page's own measurements (renderer/src/lib/timings.ts). */
function pageTimings(): Promise<Record<string, number>> {
  return page.evaluate(() => (window as unknown as { __kanbenchTimings?: Record<string, number> }).__kanbenchTimings ?? {});
}

describe.skipIf(!haveChromium)('workbench in Chromium against kanbench serve', () => {
  beforeAll(async () => {
    bench = await openWorkbench();
    page = bench.page;
  }, 120_000);

  afterAll(async () => {
    await bench?.close();
    console.log(`e2e timings (ms): ${JSON.stringify(timings)}`);
    if (fs.existsSync(SHOTS)) fs.writeFileSync(path.join(SHOTS, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  });

  it('goes from a CSV to an exported formula and finds the run again after a reload', { timeout: 300_000 }, async () => {
    // First paint: the app's own mark (the frame after mounting) and the browser's first contentful paint.
    await page.goto(bench.url);
    await page.waitForSelector('[data-view="data"] h1');
    const paint = await page.evaluate(async () => {
      while (performance.getEntriesByName('kanbench:painted').length === 0) await new Promise((r) => setTimeout(r, 10));
      const fcp = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
      return { painted: performance.getEntriesByName('kanbench:painted')[0]!.startTime, fcp: fcp?.startTime ?? -1 };
    });
    timings.firstMeaningfulPaintMs = Math.round(paint.painted);
    timings.firstContentfulPaintMs = Math.round(paint.fcp);
    await page.waitForSelector('[data-sample]');

    // A bad CSV: a row with too few fields. The error shows inline, naming the problem.
    const bad = path.join(bench.tmp, 'bad.csv');
    fs.writeFileSync(bad, 'x1,x2,y\n1,2,3\n4,5\n7,8,9\n');
    await page.setInputFiles('[data-testid="csv-input"]', bad);
    const badError = page.locator('[data-testid="csv-error"]');
    await badError.waitFor();
    expect(await badError.innerText()).toMatch(/bad\.csv: .*(line|row) 3/i);
    await shot(page, '01-data-bad-csv');

    // The good CSV: preview, import, roles (x1..x4 inputs, y target by default).
    const good = path.join(bench.tmp, 'sin-square.csv');
    fs.writeFileSync(good, knownFormulaCsv());
    await page.setInputFiles('[data-testid="csv-input"]', good);
    await page.locator('[data-testid="csv-preview"] table').waitFor();
    expect(await badError.count()).toBe(0);
    await page.click('[data-action="import-csv"]');
    await page.locator('[data-testid="dataset-preview"] select[data-role="y"]').waitFor();
    expect(await page.locator('select[data-role="y"]').inputValue()).toBe('target');
    expect(await page.locator('select[data-role="x4"]').inputValue()).toBe('input');
    await shot(page, '02-data');

    // Setup: KAN [4, 8, 4, 1], a short L-BFGS fit, the MLP matched to the KAN's parameter count.
    await switchView('setup');
    await page.fill('[data-layer="0"] input', '8');
    await page.click('[data-action="add-layer"]');
    await page.fill('[data-layer="1"] input', '4');
    await page.fill('[data-field="steps"]', '12');
    // A batch size that is not a whole number of rows is named and blocks the run; empty means every training row.
    await page.fill('[data-field="batch"]', '2.5');
    await page.locator('.problems [role="alert"]', { hasText: 'The batch size: ' }).waitFor();
    expect(await page.locator('[data-action="create-run"]').isDisabled()).toBe(true);
    await page.fill('[data-field="batch"]', '');
    await page.fill('[data-field="name"]', RUN_NAME);
    await page.click('[data-action="match-params"]');
    const kanParams = Number((await page.locator('[data-testid="kan-params"]').innerText()).replace(/\D/g, ''));
    const mlpParams = Number((await page.locator('[data-testid="mlp-params"]').innerText()).replace(/\D/g, ''));
    expect(kanParams).toBe(68 * (3 + 3 + 2));
    expect(Math.abs(mlpParams - kanParams) / kanParams).toBeLessThan(0.15);
    await shot(page, '03-setup');

    // Training: progress, then done; loss curves of both models.
    await page.click('[data-action="create-run"]');
    await page.waitForSelector('[data-view="training"]');
    const trainStart = Date.now();
    await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 120_000 });
    timings.trainingSeconds = Math.round((Date.now() - trainStart) / 100) / 10;
    await page.locator('[data-testid="loss-chart"] canvas').first().waitFor();
    const progress = await pageTimings();
    timings.progressEvents = progress.progressEvents ?? 0;
    timings.progressLatencyMedianMs = Math.round(progress.progressLatencyMedianMs ?? -1);
    timings.progressLatencyMaxMs = Math.round(progress.progressLatencyMaxMs ?? -1);
    expect(await page.locator('[data-testid="steps-table"] tbody tr').count()).toBe(1);
    // A full-batch fit: every point of the curves is measured on the whole sets, so no mini-batch note.
    expect(await page.locator('[data-testid="minibatch-note"]').count()).toBe(0);
    expect(await page.locator('[data-testid="loss-empty"]').count()).toBe(0);
    await shot(page, '04-training');

    // Compare: the KAN and the MLP side by side, and the params-vs-error plot.
    await switchView('compare');
    await page.locator('[data-testid="compare-table"] tr[data-model="kan"]').waitFor();
    await page.locator('[data-testid="compare-table"] tr[data-model="mlp"]').waitFor();
    await page.locator('[data-testid="pareto-chart"] canvas').first().waitFor();
    await shot(page, '05-compare');

    // Inspect: the [4, 8, 4, 1] network with all 68 edges drawn.
    await switchView('inspect');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="network"] g.edge').length === 68 && (window as unknown as { __kanbenchTimings?: Record<string, number> }).__kanbenchTimings?.inspectTotalMs !== undefined);
    const inspect = await pageTimings();
    timings.inspectDrawMs = Math.round(inspect.inspectTotalMs!);
    timings.inspectFetchMs = Math.round(inspect.inspectFetchMs!);
    timings.inspectVueMs = Math.round(inspect.inspectVueMs!);
    timings.inspectPaintMs = Math.round(inspect.inspectPaintMs!);
    // The same request again, as a second look at the run makes it: the host has the model in its cache by now.
    const runId = new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('run')!;
    const again = await callApi(bench.url, 'model.network', { runId, points: 41, dataPoints: 60 });
    timings.networkRequestAgainMs = Math.round(again.ms);
    await shot(page, '06-inspect');

    // Prune with the slider: the preview names what would go, Prune makes it a step.
    await page.locator('[data-testid="edge-threshold"]').evaluate((el: HTMLInputElement) => {
      el.value = '45';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction(() => /^[1-9]\d* edges/.test(document.querySelector('[data-testid="prune-preview"]')?.textContent ?? ''));
    expect(await page.locator('[data-testid="network"] g.edge.removing').count()).toBeGreaterThan(0);
    await shot(page, '07-inspect-prune-preview');
    await page.click('[data-action="prune"]');
    await waitForSteps(2);
    const activeAfterPrune = await page.locator('[data-testid="network"] g.edge:not(.pruned)').count();
    expect(activeAfterPrune).toBeLessThan(68);

    // Fix a symbolic function on one edge from its candidates.
    await page.locator('[data-testid="network"] g.edge[data-kind="numeric"] rect.box').first().click();
    await page.locator('[data-testid="candidates"] tr[data-candidate]').first().waitFor({ timeout: 60_000 });
    await shot(page, '08-inspect-edge');
    const edgeKey = await page.locator('[data-testid="network"] g.edge.selected').getAttribute('data-edge');
    await page.locator('[data-testid="candidates"] [data-action="fix"]').first().click();
    await waitForSteps(3);
    expect(await page.locator(`[data-testid="network"] g.edge[data-edge="${edgeKey}"]`).getAttribute('data-kind')).toBe('symbolic');
    await page.click('[data-action="close-edge"]');

    // Auto-symbolic on the remaining edges (every edge takes its best candidate: R^2 threshold 0).
    await page.fill('[data-testid="r2-threshold"]', '0');
    await page.click('[data-action="auto-symbolic"]');
    await waitForSteps(4, 150_000);
    expect(await page.locator('[data-testid="network"] g.edge[data-kind="numeric"]').count()).toBe(0);
    expect(await stepCount()).toBe(4);

    // Fine-tune the symbolic network in place: its a, b, c, d train, so the error must not grow.
    const beforeFineTune = await kanTestFigureOfLastStep();
    await page.fill('[data-testid="fine-tune-steps"]', '10');
    await page.click('[data-action="fine-tune"]');
    await waitForSteps(5);
    const afterFineTune = await kanTestFigureOfLastStep();
    expect(afterFineTune).toBeLessThanOrEqual(beforeFineTune * 1.0001);
    // Undo (Ctrl+Z) goes back to the state after auto-symbolic; fine-tuning again gives the same figure (seeded).
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Control+z');
    await waitForSteps(4);
    expect(await kanTestFigureOfLastStep()).toBe(beforeFineTune);
    await page.click('[data-action="fine-tune"]');
    await waitForSteps(5);
    expect(await kanTestFigureOfLastStep()).toBe(afterFineTune);
    await shot(page, '09-inspect-symbolic');

    // Formula: typeset with KaTeX, its error beside the model's; export LaTeX.
    await switchView('formula');
    await page.locator('[data-testid="formula-panel"] .katex').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="formula-rmse"]').first().innerText()).toMatch(/\d/);
    await shot(page, '10-formula');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="latex"]')]);
    const saved = path.join(bench.tmp, download.suggestedFilename());
    await download.saveAs(saved);
    expect(download.suggestedFilename()).toMatch(/\.tex$/);
    const tex = fs.readFileSync(saved, 'utf8');
    expect(tex).toMatch(/\\begin\{document\}/);
    expect(tex).toMatch(/\\sin|\\exp|x_\{?1/);

    // History after a reload: the run is listed, searchable, and opens again.
    await page.reload();
    await page.waitForSelector('[data-view="formula"]');
    timings.reloadMeaningfulPaintMs = Math.round(await page.evaluate(async () => {
      while (performance.getEntriesByName('kanbench:painted').length === 0) await new Promise((r) => setTimeout(r, 10));
      return performance.getEntriesByName('kanbench:painted')[0]!.startTime;
    }));
    await switchView('history');
    const row = page.locator(`[data-testid="history-table"] tr[data-run-name="${RUN_NAME}"]`);
    await row.waitFor();
    await page.fill('[data-testid="history-search"]', 'sin-square');
    await page.waitForFunction((name) => {
      const rows = [...document.querySelectorAll('[data-testid="history-table"] tbody tr')];
      return rows.length === 1 && rows[0]!.getAttribute('data-run-name') === name;
    }, RUN_NAME);
    await row.click();
    await page.fill('[data-testid="tags-input"]', 'e2e, symbolic');
    await page.press('[data-testid="tags-input"]', 'Enter');
    await page.locator(`tr[data-run-name="${RUN_NAME}"] .tag`).nth(1).waitFor();
    await shot(page, '11-history');

    // Re-run (the whole recipe, edits included), compare the two runs side by side, then delete the copy after confirming.
    await page.click('[data-action="rerun"]');
    await page.waitForSelector('[data-view="training"]');
    await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 120_000 });
    await switchView('history');
    await page.fill('[data-testid="history-search"]', '');
    const rows = page.locator('[data-testid="history-table"] tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-table"] tbody tr').length === 2);
    await rows.nth(0).locator('input[type="checkbox"]').check();
    await rows.nth(1).locator('input[type="checkbox"]').check();
    await page.click('[data-action="compare"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-table"] tbody tr').length === 4);
    const testErrors = await page.locator('[data-testid="compare-table"] tbody tr[data-model="kan"] td:nth-child(5)').allInnerTexts();
    expect(testErrors[0]).toBe(testErrors[1]); // same recipe, same seed, same backend: the same numbers
    await shot(page, '12-compare-two-runs');
    await switchView('history');
    await page.locator(`[data-testid="history-table"] tr[data-run-name="${RUN_NAME} (re-run)"]`).click();
    await page.click('[data-action="delete"]');
    await page.click('[data-confirm-yes]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-table"] tbody tr').length === 1);
    expect(await rows.first().getAttribute('data-run-name')).toBe(RUN_NAME);
    await rows.first().click();
    await page.click('[data-action="open"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-view="inspect"] [data-testid="network"] g.edge').length > 0);

    // The remaining views switch quickly once loaded; the dark theme for the record.
    // Every view once more after the reload (the first visit mounts it, the second finds it kept alive).
    const views = ['data', 'setup', 'training', 'compare', 'inspect', 'formula', 'history'];
    for (const round of ['AfterReload', 'Again']) {
      for (const view of views) timings[`switch${round}To${view[0]!.toUpperCase()}${view.slice(1)}Ms`] = Math.round(await switchView(view));
    }
    // Keyboard: digits switch views, ? shows the shortcuts, Escape closes them, / jumps to the History search.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('5');
    await page.waitForSelector('[data-view="inspect"]');
    await page.keyboard.press('?');
    await page.waitForSelector('[role="dialog"][aria-label="Keyboard shortcuts"]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[role="dialog"][aria-label="Keyboard shortcuts"]', { state: 'detached' });
    await page.keyboard.press('7');
    await page.waitForSelector('[data-view="history"]');
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('history-search');

    await page.click('[data-action="theme"]');
    await switchView('inspect');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="network"] g.edge').length > 0);
    await shot(page, '13-inspect-dark');

    expect(bench.pageErrors).toEqual([]);
    expect(timings.firstMeaningfulPaintMs).toBeGreaterThan(0);
  });

  it('trains a mini-batch fit set up in the form, and says its curves come from batches', { timeout: 120_000 }, async () => {
    await switchView('data');
    await page.click('[data-sample="iris"]');
    await switchView('setup');
    await page.selectOption('[data-field="optimizer"]', 'adam');
    await page.fill('[data-field="steps"]', '10');
    await page.fill('[data-field="batch"]', '32');
    await page.fill('[data-field="name"]', 'e2e mini-batch');
    await page.waitForFunction(() => document.querySelector('[data-action="create-run"]')?.hasAttribute('disabled') === false);
    await page.click('[data-action="create-run"]');
    await page.waitForSelector('[data-view="training"]');
    await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 90_000 });
    await page.locator('[data-testid="loss-chart"] canvas').first().waitFor();
    await page.locator('[data-testid="minibatch-note"]').waitFor();
    expect(await page.locator('[data-testid="loss-empty"]').count()).toBe(0);
    await shot(page, '14-training-minibatch');
    expect(bench.pageErrors).toEqual([]);
  });
});
