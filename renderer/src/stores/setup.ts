/** The experiment setup form, kept while the user moves between views; builds the recipe from it and the chosen data. */
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { kanParameterCount, matchMlpWidth, mlpParameterCount } from '../lib/params';
import { buildRecipe, buildSweepRecipe, defaultSetupForm, earlyStoppingOf, kanWidth, mlpWidth, setupProblems } from '../lib/recipe';
import { useDatasetsStore } from './datasets';

export const useSetupStore = defineStore('setup', () => {
  const datasets = useDatasetsStore();
  const form = ref(defaultSetupForm());
  // A classification KAN has one output per class; the dataset's preview gives the count.
  watch(() => datasets.selectedChoices?.classesGuess, (classes) => {
    if (classes) form.value.classes = classes;
  }, { immediate: true });

  const data = computed(() => datasets.dataChoice);
  // A choice made for CSV data does not carry over to a formula dataset (or back): each kind shows its own default.
  watch(() => data.value?.kind, (kind, before) => {
    if (kind !== before) form.value.earlyStopping = null;
  });
  // A run's name describes its data: typed for one dataset, it would mislabel the runs of the next.
  watch(() => datasets.selectedId, (id, before) => {
    if (id !== before) form.value.name = '';
  });
  const earlyStopping = computed(() => earlyStoppingOf(data.value, form.value));
  const problems = computed(() => setupProblems(data.value, form.value));
  const kanShape = computed(() => (data.value ? kanWidth(data.value, form.value) : null));
  const mlpShape = computed(() => (data.value ? mlpWidth(data.value, form.value) : null));
  const kanParams = computed(() => (kanShape.value && kanShape.value.every((w) => w >= 1) ? kanParameterCount(kanShape.value, form.value.grid, form.value.k) : null));
  const mlpParams = computed(() => (mlpShape.value && mlpShape.value.every((w) => w >= 1) ? mlpParameterCount(mlpShape.value) : null));
  const recipe = computed(() => (data.value && problems.value.length === 0 ? buildRecipe(data.value, form.value) : null));
  const sweepRecipe = computed(() => (data.value && problems.value.length === 0 ? buildSweepRecipe(data.value, form.value) : null));

  /** Sets the MLP's hidden width so its parameter count is closest to the KAN's (at the KAN's starting grid). */
  function matchKanParameters(): void {
    if (!kanShape.value || kanParams.value === null) return;
    const nIn = kanShape.value[0]!;
    const nOut = kanShape.value[kanShape.value.length - 1]!;
    form.value.mlp.hiddenWidth = matchMlpWidth(nIn, nOut, Math.max(1, form.value.mlp.hiddenLayers), kanParams.value);
  }

  function addLayer(): void {
    form.value.hidden.push(form.value.hidden[form.value.hidden.length - 1] ?? 5);
  }

  function removeLayer(index: number): void {
    form.value.hidden.splice(index, 1);
  }

  function resizeLayer(index: number, delta: number): void {
    const current = form.value.hidden[index];
    if (current !== undefined) form.value.hidden[index] = Math.max(1, Math.min(1000, current + delta));
  }

  return { form, data, earlyStopping, problems, kanShape, mlpShape, kanParams, mlpParams, recipe, sweepRecipe, matchKanParameters, addLayer, removeLayer, resizeLayer };
});
