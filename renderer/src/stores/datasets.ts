/**
 * Datasets: the stored list, the built-in samples, the selected dataset's preview, and per dataset the choices that
 * turn it into training data (column roles, task, test fraction, standardisation). Those choices feed the recipe.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { RequestOf, ResponseOf } from '../../../app/api/contract';
import { api } from '../api';
import { uploadCsvFile, type UploadProgress } from '../lib/csv-upload';
import type { DataChoice, MissingHandling, Task } from '../lib/recipe';
import { defaultRoles, distinctValues, inferredTask, roleProblems, selectionFromRoles, type ColumnRole } from '../lib/roles';

export type DatasetInfo = ResponseOf<'datasets.list'>[number];
export type Sample = ResponseOf<'datasets.samples'>[number];
export type Preview = ResponseOf<'datasets.preview'>;

export interface DatasetChoices {
  roles: Record<string, ColumnRole>;
  task: Task;
  missing: MissingHandling;
  testFraction: number;
  standardize: boolean;
  /** Distinct target values seen in the preview: a first guess at the number of classes. */
  classesGuess: number;
}

interface FormulaSpecLike {
  formula: string;
  vars: number;
  range: [number, number] | [number, number][];
  train: number;
  test: number;
  noise?: number;
}

/** A formula dataset keeps its spec; a recipe can regenerate the same data from it. */
export function formulaSpecOf(dataset: DatasetInfo): FormulaSpecLike | null {
  const spec = dataset.spec as Partial<FormulaSpecLike> | null | undefined;
  if (dataset.kind !== 'formula' || !spec || typeof spec.formula !== 'string' || typeof spec.vars !== 'number' || !spec.range) return null;
  return { formula: spec.formula, vars: spec.vars, range: spec.range, train: spec.train ?? 1000, test: spec.test ?? 1000, noise: spec.noise ?? 0 };
}

export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<DatasetInfo[]>([]);
  const samples = ref<Sample[]>([]);
  const selectedId = ref<string | null>(null);
  const preview = ref<Preview | null>(null);
  const choices = ref<Record<string, DatasetChoices>>({});
  const loading = ref(false);

  const selected = computed(() => list.value.find((d) => d.id === selectedId.value) ?? null);
  const selectedChoices = computed(() => (selectedId.value ? choices.value[selectedId.value] ?? null : null));

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      list.value = await api().invoke('datasets.list', {});
      if (selectedId.value && !list.value.some((d) => d.id === selectedId.value)) selectedId.value = null;
      if (!selectedId.value && list.value.length > 0) await select(list.value[0]!.id);
    } finally {
      loading.value = false;
    }
  }

  async function loadSamples(): Promise<void> {
    samples.value = await api().invoke('datasets.samples', {});
  }

  async function select(id: string): Promise<void> {
    selectedId.value = id;
    preview.value = null;
    // Up to 1000 rows: the table shows the first 50; all of them feed the guess of the number of classes.
    const result = await api().invoke('datasets.preview', { id, maxRows: 1000 });
    if (selectedId.value !== id) return;
    preview.value = result;
    if (!choices.value[id]) {
      const { constant, duplicate, tasks } = result.profile;
      const roles = defaultRoles(result.columns, result.numericColumns, [...constant, ...duplicate.map((d) => d.column)]);
      const { task } = inferredTask(result.columns, roles, tasks);
      const targetIndex = result.columns.findIndex((c) => roles[c] === 'target');
      choices.value[id] = { roles, task, missing: 'drop', testFraction: 0.2, standardize: true, classesGuess: Math.max(2, distinctValues(result.rows, targetIndex)) };
    }
  }

  function added(dataset: DatasetInfo): Promise<void> {
    list.value = [dataset, ...list.value.filter((d) => d.id !== dataset.id)];
    return select(dataset.id);
  }

  async function addSample(sampleId: string): Promise<DatasetInfo> {
    const dataset = await api().invoke('datasets.addSample', { sampleId });
    await added(dataset);
    return dataset;
  }

  /** Sends the file in pieces (lib/csv-upload.ts) and selects the new dataset. */
  async function importCsv(file: Blob, name: string, options: { signal: AbortSignal; onProgress: (progress: UploadProgress) => void }): Promise<DatasetInfo> {
    const client = api();
    const dataset = await uploadCsvFile(client.invoke.bind(client), file, name, options);
    await added(dataset);
    return dataset;
  }

  async function createFormula(request: RequestOf<'datasets.createFormula'>): Promise<DatasetInfo> {
    const dataset = await api().invoke('datasets.createFormula', request);
    await added(dataset);
    return dataset;
  }

  async function remove(id: string): Promise<void> {
    await api().invoke('datasets.delete', { id });
    list.value = list.value.filter((d) => d.id !== id);
    if (selectedId.value === id) {
      selectedId.value = null;
      preview.value = null;
      if (list.value.length > 0) await select(list.value[0]!.id);
    }
  }

  /** What the recipe's data block is built from, or null when nothing usable is selected. */
  const dataChoice = computed<DataChoice | null>(() => {
    const dataset = selected.value;
    if (!dataset) return null;
    const spec = formulaSpecOf(dataset);
    if (spec) return { kind: 'formula', formula: spec.formula, vars: spec.vars, range: spec.range, train: spec.train, test: spec.test, noise: spec.noise ?? 0 };
    const c = choices.value[dataset.id];
    if (!c || !preview.value) return null;
    const { inputs, target } = selectionFromRoles(preview.value.columns, c.roles);
    return { kind: 'csv', datasetId: dataset.id, inputs, target, task: c.task, missing: c.missing, testFraction: c.testFraction, standardize: c.standardize };
  });

  /** What the data suggests for the chosen target, shown beside the task so the user sees why it was preselected. */
  const suggestedTask = computed(() => {
    const c = selectedChoices.value;
    return c && preview.value ? inferredTask(preview.value.columns, c.roles, preview.value.profile.tasks) : null;
  });

  const problems = computed(() => {
    const dataset = selected.value;
    const c = selectedChoices.value;
    if (!dataset || !c || !preview.value || formulaSpecOf(dataset)) return [];
    return roleProblems(preview.value.columns, preview.value.numericColumns, c.roles, c.task);
  });

  return { list, samples, selectedId, selected, preview, choices, selectedChoices, loading, dataChoice, suggestedTask, problems, refresh, loadSamples, select, addSample, importCsv, createFormula, remove };
});
