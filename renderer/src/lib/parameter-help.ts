/**
 * One line of help per training and editing parameter, opening with the pykan argument it corresponds to, so a user who
 * knows pykan (or reads the KAN paper's code) maps the form onto it at a glance; the rest of the line says what it does.
 */
const HELP = {
  grid: ['grid', 'intervals of each edge’s B-spline grid: finer curves, more parameters'],
  k: ['k', 'order of the B-spline pieces: 3 is cubic'],
  schedule: ['model.refine(new_grid)', 'grid extension: refine to each size in turn and fit again'],
  optimizer: ['fit(opt="LBFGS" | "Adam")', 'L-BFGS for small full-batch fits, Adam for large or mini-batch ones'],
  steps: ['fit(steps=)', 'optimiser iterations of each fit'],
  lr: ['fit(lr=)', 'step size; empty: 1 for L-BFGS, 0.01 for Adam'],
  batch: ['fit(batch=)', 'rows per iteration, drawn at random; empty: all training rows (pykan’s -1)'],
  lamb: ['fit(lamb=)', 'λ, overall strength of the sparsity penalty that makes a KAN prunable'],
  mu1: ['fit(lamb_l1=)', 'μ1, weight of the L1 norm of the edges’ activations within λ'],
  mu2: ['fit(lamb_entropy=)', 'μ2, weight of the entropy of each layer’s activations within λ'],
  updateGrid: ['fit(update_grid=True)', 'move the grid knots to where the activations fall while fitting'],
  gridUpdateNum: ['fit(grid_update_num=)', 'how many grid updates a fit makes, over its first half'],
  validation: ['no pykan counterpart', 'training rows held out to choose the model and stop early (pykan has train and test only)'],
  earlyStopping: ['no pykan counterpart', 'stop once the validation loss stops improving; keep the best parameters'],
  patience: ['no pykan counterpart', 'checks without a better validation loss before stopping'],
  seed: ['KAN(seed=)', 'seeds initialisation, splits and batches: the same seed gives the same run'],
  sweepRepeats: ['no pykan counterpart', 'seeds per model size in a sweep; its figures become means ± standard deviations'],
  edgeThreshold: ['prune(edge_th=)', 'edges whose attribution score is below this go (prune_edge(threshold=))'],
  nodeThreshold: ['prune(node_th=)', 'hidden nodes whose score is below this go, with their edges (prune_node(threshold=))'],
  fineTuneSteps: ['fit(steps=)', 'L-BFGS iterations retraining the KAN alone, symbolic a, b, c, d included'],
  library: ['auto_symbolic(lib=)', 'the functions auto-symbolic may choose for an edge'],
  r2Threshold: ['auto_symbolic(r2_threshold=)', 'edges no function fits to at least this R² stay numeric'],
} as const satisfies Record<string, readonly [string, string]>;

export type HelpedParameter = keyof typeof HELP;

/** "pykan: fit(lamb=) · λ, overall strength of …": the pykan name first, so a cut line still shows it. */
export function parameterHelp(key: HelpedParameter): string {
  const [pykan, what] = HELP[key];
  return pykan.startsWith('no pykan') ? `${pykan} · ${what}` : `pykan: ${pykan} · ${what}`;
}
