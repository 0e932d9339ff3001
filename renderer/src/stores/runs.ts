/**
 * Runs: the open run (its record, steps and loss curves), live progress of every run main reports, and the actions on a
 * run (create, cancel, interactive steps, undo and redo). Main's events keep it current; `version` ticks on every change so lists
 * (History, Compare) know to refresh.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { EventOf, RequestOf, ResponseOf } from '../../../app/api/contract';
import type { RecipeInput } from '../../../app/recipe/schema';
import { api } from '../api';
import { estimateRemainingSeconds } from '../lib/format';
import type { LossPoint } from '../lib/metrics';
import { recordProgressLatency } from '../lib/timings';
import { afterUndo, canRedo, emptyRedo, takeRedo, type RedoStack } from '../lib/redo';
import { stepName } from '../lib/step-labels';
import { fractionAfterStep, overallFraction, progressPlan, type PlannedStep } from '../lib/progress';

export type RunRow = ResponseOf<'runs.list'>['rows'][number];
export type RunDetail = ResponseOf<'runs.get'>;
export type RunStatus = RunRow['status'];
export type Step = RequestOf<'runs.applySteps'>['steps'][number];
export type NetworkView = ResponseOf<'model.network'>;
type ProgressEvent = EventOf<'run.progress'>;

export const TERMINAL: readonly RunStatus[] = ['done', 'failed', 'cancelled', 'interrupted'];
export const isActive = (status: RunStatus): boolean => status === 'running' || status === 'queued';

export interface LiveRun {
  runId: string;
  name: string;
  status: RunStatus;
  error: string | null;
  plan: PlannedStep[];
  latest: ProgressEvent | null;
  fraction: number;
  /** Page clock (ms) when this run was first seen running; elapsed and ETA count from it. */
  startedAtMs: number;
  /** The running step as the workbench names it ("Fit", "Fine-tune"); null before the first. */
  stepName: string | null;
}

/** Live points beyond this are thinned (every other one dropped) so a long run keeps the chart fast. */
const MAX_LIVE_POINTS = 4000;

function recipeSteps(recipe: unknown): RecipeInput['steps'] {
  const steps = (recipe as { steps?: unknown } | null)?.steps;
  return Array.isArray(steps) ? (steps as RecipeInput['steps']) : [];
}

function hasMlp(recipe: unknown): boolean {
  return Boolean((recipe as { mlp?: unknown } | null)?.mlp);
}

export const useRunsStore = defineStore('runs', () => {
  const currentId = ref<string | null>(null);
  const current = shallowRef<RunDetail | null>(null);
  const storedCurves = shallowRef<LossPoint[]>([]);
  const livePoints = ref<Record<string, LossPoint[]>>({});
  const live = ref<Record<string, LiveRun>>({});
  const version = ref(0);
  const loadError = ref<string | null>(null);
  const redoStack = shallowRef<RedoStack>(emptyRedo());
  /** Ticks once a second while something runs, so elapsed time and ETA update between events. */
  const clock = ref(Date.now());
  let clockTimer: ReturnType<typeof setInterval> | null = null;
  let subscribed = false;
  /**
   * Network views by "runId:step", fetched as soon as a run's step is known so Inspect can draw without waiting for main
   * to restore the model. A few entries suffice: the open run's latest steps.
   */
  const networks = new Map<string, Promise<NetworkView>>();
  const NETWORK_CACHE_SIZE = 6;

  function network(runId: string, step: number): Promise<NetworkView> {
    const key = `${runId}:${step}`;
    let view = networks.get(key);
    if (!view) {
      view = api().invoke('model.network', { runId, step, points: 41, dataPoints: 60 });
      view.catch(() => networks.delete(key));
      networks.set(key, view);
      if (networks.size > NETWORK_CACHE_SIZE) networks.delete(networks.keys().next().value!);
    }
    return view;
  }

  /** Step numbers of a run are reused after an undo, so its cached views must go whenever its steps change. */
  function forgetNetworks(runId: string): void {
    for (const key of [...networks.keys()]) if (key.startsWith(`${runId}:`)) networks.delete(key);
  }

  function track(row: { id: string; name: string; status: RunStatus; error: string | null }, recipe: unknown): LiveRun {
    const existing = live.value[row.id];
    const plan = progressPlan(recipeSteps(recipe), hasMlp(recipe));
    if (existing) {
      existing.plan = plan;
      existing.status = row.status;
      existing.error = row.error;
      existing.name = row.name;
      return existing;
    }
    live.value[row.id] = { runId: row.id, name: row.name, status: row.status, error: row.error, plan, latest: null, fraction: 0, startedAtMs: Date.now(), stepName: null };
    updateClock();
    return live.value[row.id]!;
  }

  function updateClock(): void {
    const anyActive = Object.values(live.value).some((r) => isActive(r.status));
    if (anyActive && !clockTimer) {
      clock.value = Date.now();
      clockTimer = setInterval(() => (clock.value = Date.now()), 1000);
    }
    if (!anyActive && clockTimer) {
      clearInterval(clockTimer);
      clockTimer = null;
    }
  }

  async function ensureTracked(runId: string): Promise<LiveRun> {
    const known = live.value[runId];
    if (known) return known;
    const detail = await api().invoke('runs.get', { id: runId });
    return track(detail, detail.recipe);
  }

  function onProgress(p: ProgressEvent): void {
    recordProgressLatency(p.at);
    void ensureTracked(p.runId).then((run) => {
      if (run.status === 'queued' || TERMINAL.includes(run.status)) run.status = 'running';
      run.latest = p;
      run.fraction = overallFraction(run.plan, { stepIdx: p.stepIdx, model: p.model, step: p.step, steps: p.steps });
      run.stepName = run.plan[p.stepIdx]?.name ?? 'Fit';
      let points = livePoints.value[p.runId] ?? [];
      points.push({ stepIdx: p.stepIdx, model: p.model, iter: p.step, trainLoss: p.trainLoss, testLoss: p.testLoss, valLoss: p.valLoss });
      if (points.length > MAX_LIVE_POINTS) points = points.filter((_, i) => i % 2 === 0);
      livePoints.value[p.runId] = points;
      updateClock();
    });
  }

  function onStatus(s: EventOf<'run.status'>): void {
    void ensureTracked(s.runId).then(async (run) => {
      run.status = s.status;
      run.error = s.error;
      if (s.status === 'running' && !run.latest) run.startedAtMs = Date.now();
      if (s.status === 'done') run.fraction = 1;
      updateClock();
      version.value++;
      if (s.runId === currentId.value && TERMINAL.includes(s.status)) await reload();
    });
  }

  function onStep(e: EventOf<'run.step'>): void {
    const run = live.value[e.runId];
    if (run) {
      run.fraction = Math.max(run.fraction, fractionAfterStep(run.plan, e.step.idx));
      // The last event's iteration belongs to the finished step (a fit that stopped early ends before its last one).
      run.latest = null;
      run.stepName = run.plan[e.step.idx + 1]?.name ?? null;
    }
    version.value++;
    if (e.runId === currentId.value && current.value) {
      const steps = current.value.steps.filter((s) => s.idx !== e.step.idx);
      current.value = { ...current.value, steps: [...steps, e.step].sort((a, b) => a.idx - b.idx) };
    }
  }

  function subscribe(): void {
    if (subscribed) return;
    subscribed = true;
    api().on('run.progress', onProgress);
    api().on('run.status', onStatus);
    api().on('run.step', onStep);
  }

  async function open(id: string | null): Promise<void> {
    currentId.value = id;
    loadError.value = null;
    if (!id) {
      current.value = null;
      storedCurves.value = [];
      return;
    }
    await reload();
  }

  async function reload(): Promise<void> {
    const id = currentId.value;
    if (!id) return;
    try {
      const [detail, curves] = await Promise.all([api().invoke('runs.get', { id }), api().invoke('runs.curves', { id })]);
      if (currentId.value !== id) return;
      track(detail, detail.recipe);
      current.value = detail;
      storedCurves.value = curves.map((c) => ({ stepIdx: c.stepIdx, model: c.model, iter: c.iter, trainLoss: c.trainLoss, testLoss: c.testLoss, valLoss: c.valLoss ?? null }));
      if (TERMINAL.includes(detail.status)) {
        delete livePoints.value[id];
        const last = detail.steps[detail.steps.length - 1];
        if (last) network(id, last.idx).catch(() => undefined);
      }
    } catch (error) {
      if (currentId.value === id) {
        current.value = null;
        loadError.value = error instanceof Error ? error.message : String(error);
      }
    }
  }

  /** The open run's curve points: stored ones, plus live ones newer than the last stored point. */
  const currentCurves = computed<LossPoint[]>(() => {
    const id = currentId.value;
    const extra = id ? livePoints.value[id] ?? [] : [];
    if (extra.length === 0) return storedCurves.value;
    const lastStored = storedCurves.value.reduce((m, p) => Math.max(m, p.stepIdx * 1e9 + p.iter), -1);
    return [...storedCurves.value, ...extra.filter((p) => p.stepIdx * 1e9 + p.iter > lastStored)];
  });

  async function create(request: RequestOf<'runs.create'>): Promise<RunRow> {
    const row = await api().invoke('runs.create', request);
    track(row, request.recipe);
    version.value++;
    await open(row.id);
    return row;
  }

  async function cancel(id: string): Promise<void> {
    await api().invoke('runs.cancel', { id });
  }

  /**
   * Resolves once run `id` is idle with at least `minSteps` steps (or failed). Events make it quick; polling makes it
   * certain, since a status event can arrive before the reply that started the work.
   */
  async function waitUntilIdle(id: string, minSteps: number, timeoutMs = 10 * 60_000): Promise<RunDetail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const detail = await api().invoke('runs.get', { id });
      const settled = !isActive(detail.status) && (detail.steps.length >= minSteps || detail.status !== 'done');
      if (settled) return detail;
      if (Date.now() > deadline) throw new Error(`run ${id} is still ${detail.status} after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 400);
        const off = api().on('run.status', (s) => {
          if (s.runId === id && !isActive(s.status)) done();
        });
        function done(): void {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
  }

  /**
   * Runs interactive steps after the open run's last step and waits for them; returns the run's state after them. A new
   * edit ends what could be redone; a replay (redo) is the edit that was undone.
   */
  async function applySteps(steps: Step[], { replay = false } = {}): Promise<RunDetail> {
    const id = currentId.value;
    if (!id || !current.value) throw new Error('open a run first');
    if (!replay) redoStack.value = emptyRedo();
    const before = current.value.steps.length;
    forgetNetworks(id);
    const row = await api().invoke('runs.applySteps', { id, steps });
    // The host's 'running' event can arrive before this reply; the reply's 'queued' must not undo it.
    const seenRunning = live.value[id]?.status === 'running';
    const run = track(row, current.value.recipe);
    if (seenRunning) run.status = 'running';
    // Progress measures the applied steps only: the recorded ones are done and weigh nothing.
    run.plan = [...current.value.steps.map((s) => ({ kind: s.kind, name: stepName(s.kind, s.params), kan: 0, mlp: 0 })), ...progressPlan(steps, hasMlp(current.value.recipe))];
    run.fraction = 0;
    run.latest = null;
    run.stepName = run.plan[before]?.name ?? null;
    run.startedAtMs = Date.now();
    const after = await waitUntilIdle(id, before + steps.length);
    await reload();
    if (after.status === 'failed') throw new Error(after.error ?? 'the step failed');
    return after;
  }

  /** Undo: back to the state after `step`; the steps it removes can be redone. */
  async function revert(step: number): Promise<void> {
    const id = currentId.value;
    if (!id) return;
    const before = current.value?.id === id ? current.value.steps : [];
    await api().invoke('runs.revert', { id, step });
    redoStack.value = afterUndo(redoStack.value, id, before, step);
    forgetNetworks(id);
    version.value++;
    await reload();
  }

  /** Redo: replays the last undone edit's steps on the open run (seeded, so they give the model they gave before). */
  async function redo(): Promise<void> {
    const next = takeRedo(redoStack.value, currentId.value);
    if (!next) return;
    await applySteps(next.steps as Step[], { replay: true });
    redoStack.value = next.rest;
  }

  const canRedoCurrent = computed(() => canRedo(redoStack.value, currentId.value));

  const activeRun = computed<LiveRun | null>(() => {
    const active = Object.values(live.value).filter((r) => isActive(r.status));
    return active.find((r) => r.runId === currentId.value) ?? active[active.length - 1] ?? null;
  });

  /** Read at every redraw (a progress event or the clock's tick), so it is never a second behind the run. */
  function elapsedSeconds(run: LiveRun): number {
    return Math.max(0, (Math.max(clock.value, Date.now()) - run.startedAtMs) / 1000);
  }

  function etaSeconds(run: LiveRun): number | null {
    return estimateRemainingSeconds(run.fraction, elapsedSeconds(run));
  }

  return {
    currentId, current, currentCurves, live, version, loadError, activeRun, clock,
    subscribe, open, reload, create, cancel, applySteps, revert, redo, canRedoCurrent, waitUntilIdle, elapsedSeconds, etaSeconds, ensureTracked, network,
  };
});
