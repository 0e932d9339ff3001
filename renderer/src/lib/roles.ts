/** Column roles of a CSV dataset (input, target, ignore): sensible defaults and the problems a choice of roles has. */
import type { InferredTask } from '../../../app/data/profile';
import type { Task } from './recipe';

export type ColumnRole = 'input' | 'target' | 'ignore';

/**
 * The last column is the target (the usual layout); other numeric columns are inputs; text columns are ignored, and so
 * are the redundant ones (constant, or repeating an earlier column), which the run would drop anyway.
 */
export function defaultRoles(columns: readonly string[], numericColumns: readonly string[], redundant: readonly string[]): Record<string, ColumnRole> {
  const numeric = new Set(numericColumns);
  const roles: Record<string, ColumnRole> = {};
  columns.forEach((column, i) => {
    roles[column] = i === columns.length - 1 ? 'target' : numeric.has(column) && !redundant.includes(column) ? 'input' : 'ignore';
  });
  return roles;
}

/** The task the data suggests for the chosen target (the profile's inference for that column); several targets mean regression. */
export function inferredTask(columns: readonly string[], roles: Record<string, ColumnRole>, tasks: Record<string, InferredTask>): InferredTask {
  const targets = columns.filter((c) => roles[c] === 'target');
  const single = targets.length === 1 ? tasks[targets[0]!] : undefined;
  return single ?? { task: 'regression', reason: `${targets.length} target columns` };
}

export function selectionFromRoles(columns: readonly string[], roles: Record<string, ColumnRole>): { inputs: string[]; target: string[] } {
  return {
    inputs: columns.filter((c) => roles[c] === 'input'),
    target: columns.filter((c) => roles[c] === 'target'),
  };
}

export function roleProblems(columns: readonly string[], numericColumns: readonly string[], roles: Record<string, ColumnRole>, task: Task): string[] {
  const numeric = new Set(numericColumns);
  const { inputs, target } = selectionFromRoles(columns, roles);
  const problems: string[] = [];
  if (inputs.length === 0) problems.push('Mark at least one column as an input.');
  if (target.length === 0) problems.push('Mark one column as the target.');
  for (const column of inputs) {
    if (!numeric.has(column)) problems.push(`Column "${column}" holds text, so it cannot be an input; set it to ignore.`);
  }
  if (task === 'regression') {
    for (const column of target) {
      if (!numeric.has(column)) problems.push(`Column "${column}" holds text, so it cannot be a regression target; choose classification or another column.`);
    }
  } else if (target.length > 1) {
    problems.push('Classification takes exactly one target column (the class label).');
  }
  return problems;
}

/** Distinct values of one column in the preview rows: a first guess at the number of classes. */
export function distinctValues(rows: readonly (readonly string[])[], columnIndex: number): number {
  return new Set(rows.map((r) => r[columnIndex] ?? '')).size;
}
