/**
 * One line of help per training and editing parameter, each naming the pykan argument it corresponds to, so a user who
 * knows pykan (or reads the KAN paper's code) maps the form onto it at a glance.
 */
export const PARAMETER_HELP = {
  grid: 'Intervals of each edge’s B-spline grid: more gives finer curves and more parameters (pykan: grid).',
  k: 'Order of the B-spline pieces: 3 is cubic (pykan: k).',
  schedule: 'Refine the grid to each size in turn and fit again: grid extension (pykan: model.refine(new_grid)).',
  optimizer: 'L-BFGS for small full-batch problems, Adam for large or mini-batch ones (pykan: fit(opt="LBFGS" | "Adam")).',
  steps: 'Optimiser iterations of each fit (pykan: fit(steps=)).',
  lr: 'Step size; empty: 1 for L-BFGS, 0.01 for Adam (pykan: fit(lr=)).',
  batch: 'Rows per iteration, drawn at random; empty: all training rows (pykan: fit(batch=), -1 for all).',
  lamb: 'λ, overall strength of the sparsity penalty that makes a KAN prunable (pykan: fit(lamb=)).',
  mu1: 'μ1, weight of the L1 norm of the edges’ activations within λ (pykan: fit(lamb_l1=)).',
  mu2: 'μ2, weight of the entropy of each layer’s activations within λ (pykan: fit(lamb_entropy=)).',
  updateGrid: 'Move the grid knots to where the activations fall while fitting (pykan: fit(update_grid=True)).',
  gridUpdateNum: 'How many grid updates a fit makes, spread over its first half (pykan: fit(grid_update_num=)).',
  validation: 'Training rows held out to choose the model and stop early (no pykan counterpart: pykan has train and test only).',
  earlyStopping: 'Stop once the validation loss stops improving and keep the best parameters (no pykan counterpart).',
  patience: 'Checks without a better validation loss before stopping (no pykan counterpart).',
  seed: 'Seeds initialisation, splits and batches: the same seed gives the same run (pykan: KAN(seed=)).',
  edgeThreshold: 'Edges whose attribution score is below this go (pykan: prune_edge(threshold=), prune(edge_th=)).',
  nodeThreshold: 'Hidden nodes whose score is below this go, with their edges (pykan: prune_node(threshold=), prune(node_th=)).',
  fineTuneSteps: 'L-BFGS iterations retraining the KAN alone, symbolic a, b, c, d included (pykan: fit(steps=) after fixing).',
  library: 'Functions auto-symbolic may choose for an edge (pykan: auto_symbolic(lib=)).',
  r2Threshold: 'Edges no function fits to at least this R² stay numeric (pykan: auto_symbolic(r2_threshold=)).',
} as const;

export type HelpedParameter = keyof typeof PARAMETER_HELP;
