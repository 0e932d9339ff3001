/**
 * Progress of a run across its recipe steps. Each fit step weighs its optimiser steps (once per model it trains); the
 * other steps (refine, prune, symbolic) weigh one unit each, since they take about as long as one optimiser step.
 */
import type { RecipeInput } from '../../../app/recipe/schema';
import { stepName } from './step-labels';

type StepInput = RecipeInput['steps'][number];

export interface PlannedStep {
  kind: string;
  /** What the workbench calls the step ("Fine-tune" for a fit of the KAN alone). */
  name: string;
  /** Work units of the KAN and of the MLP in this step. */
  kan: number;
  mlp: number;
}

export interface ProgressPoint {
  stepIdx: number;
  model: 'kan' | 'mlp';
  step: number;
  steps: number;
}

export function progressPlan(steps: readonly StepInput[], hasMlp: boolean): PlannedStep[] {
  return steps.map((step) => {
    if ('fit' in step) {
      const models = step.fit.models ?? ['kan', 'mlp'];
      return {
        kind: 'fit',
        name: stepName('fit', step.fit),
        kan: models.includes('kan') ? Math.max(1, step.fit.steps) : 0,
        mlp: hasMlp && models.includes('mlp') ? Math.max(1, step.fit.steps) : 0,
      };
    }
    const kind = Object.keys(step)[0] ?? 'step';
    return { kind, name: stepName(kind, (step as Record<string, unknown>)[kind]), kan: 1, mlp: 0 };
  });
}

function unitsOf(step: PlannedStep): number {
  return step.kan + step.mlp;
}

/** Fraction in [0, 1] of the plan done when `point` arrives (the event's own `steps` wins over the plan's count). */
export function overallFraction(plan: readonly PlannedStep[], point: ProgressPoint): number {
  const total = plan.reduce((sum, s) => sum + unitsOf(s), 0);
  if (total === 0) return 0;
  let done = 0;
  for (let i = 0; i < Math.min(point.stepIdx, plan.length); i++) done += unitsOf(plan[i]!);
  const current = plan[point.stepIdx];
  // A sweep's events count its models across both families in one sequence.
  if (current?.kind === 'sweep') done += (point.steps > 0 ? Math.min(1, point.step / point.steps) : 1) * unitsOf(current);
  else if (current) {
    const modelUnits = point.model === 'kan' ? current.kan : current.mlp;
    const within = point.steps > 0 ? Math.min(1, point.step / point.steps) : 1;
    done += (point.model === 'mlp' ? current.kan : 0) + within * modelUnits;
  }
  return Math.min(1, Math.max(0, done / total));
}

/** Fraction done once steps 0..stepIdx have finished. */
export function fractionAfterStep(plan: readonly PlannedStep[], stepIdx: number): number {
  const total = plan.reduce((sum, s) => sum + unitsOf(s), 0);
  if (total === 0) return 1;
  let done = 0;
  for (let i = 0; i <= Math.min(stepIdx, plan.length - 1); i++) done += unitsOf(plan[i]!);
  return Math.min(1, done / total);
}
