/**
 * What a run step is called in the workbench: the action the user took ("Fine-tune", "Fix symbolic"), not the recipe's
 * key ("fit", "fixSymbolic"), with the settings that tell two steps of one kind apart.
 */
import { formatNumber } from './format';

const NAMES: Record<string, string> = {
  fit: 'Fit',
  refine: 'Refine grid',
  updateGrid: 'Update grid',
  prune: 'Prune',
  fixSymbolic: 'Fix symbolic',
  unfixSymbolic: 'Unfix symbolic',
  autoSymbolic: 'Auto-symbolic',
  formula: 'Formula',
  discover: 'Discover formula',
  sweep: 'Sweep model sizes',
};

const OPTIMIZERS: Record<string, string> = { lbfgs: 'L-BFGS', adam: 'Adam' };

export function optimizerName(opt: unknown): string {
  return OPTIMIZERS[String(opt)] ?? 'L-BFGS';
}

/** A fit of the KAN alone is how the workbench fine-tunes (after pruning or fixing symbolic functions). */
function isFineTune(params: Record<string, unknown>): boolean {
  const models = params.models;
  return Array.isArray(models) && models.length === 1 && models[0] === 'kan';
}

/** The step's name alone: "Fit", "Fine-tune", "Fix symbolic"; an unknown kind is shown as it is. */
export function stepName(kind: string, params: unknown = {}): string {
  const p = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
  if (kind === 'fit' && isFineTune(p)) return 'Fine-tune';
  return NAMES[kind] ?? kind;
}

/** The step's name and its distinguishing settings: "Fit · Adam, 400 steps", "Fix symbolic · edge 0.1.0 → sin". */
export function stepLabel(kind: string, params: unknown = {}): string {
  const p = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
  const name = stepName(kind, p);
  const detail = stepDetail(kind, p);
  return detail ? `${name} · ${detail}` : name;
}

function stepDetail(kind: string, p: Record<string, unknown>): string {
  switch (kind) {
    case 'fit': {
      const steps = typeof p.steps === 'number' ? `, ${p.steps} step${p.steps === 1 ? '' : 's'}` : '';
      return `${optimizerName(p.opt)}${steps}${isFineTune(p) ? ' (KAN only)' : ''}`;
    }
    case 'refine':
      return typeof p.grid === 'number' ? `G → ${p.grid}` : '';
    case 'prune': {
      const parts = [typeof p.edgeThreshold === 'number' ? `edges < ${formatNumber(p.edgeThreshold, 3)}` : '', typeof p.nodeThreshold === 'number' ? `nodes < ${formatNumber(p.nodeThreshold, 3)}` : ''];
      return parts.filter((s) => s.length > 0).join(', ');
    }
    case 'fixSymbolic':
      return `edge ${p.layer}.${p.input}.${p.output} → ${String(p.fn)}`;
    case 'unfixSymbolic':
      return `edge ${p.layer}.${p.input}.${p.output}`;
    case 'autoSymbolic':
      return typeof p.r2Threshold === 'number' ? `keep numeric below R² ${p.r2Threshold}` : '';
    default:
      return '';
  }
}

/** The optimiser settings of a recipe's last fit step, so "train more" continues as the run trained. */
export function lastFitSettings(recipe: unknown): { opt: 'lbfgs' | 'adam'; lr?: number; batch?: number } {
  const steps = (recipe as { steps?: unknown } | null)?.steps;
  const fits = (Array.isArray(steps) ? steps : []).map((s) => (s as { fit?: Record<string, unknown> }).fit).filter((f): f is Record<string, unknown> => Boolean(f) && !isFineTune(f!));
  const last = fits[fits.length - 1];
  if (!last) return { opt: 'lbfgs' };
  return {
    opt: last.opt === 'adam' ? 'adam' : 'lbfgs',
    ...(typeof last.lr === 'number' ? { lr: last.lr } : {}),
    ...(typeof last.batch === 'number' ? { batch: last.batch } : {}),
  };
}
