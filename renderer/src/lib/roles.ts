/** Column roles of a CSV dataset (input, target, ignore): sensible defaults and the problems a choice of roles has. */
import type { Task } from './recipe';

export type ColumnRole = 'input' | 'target' | 'ignore';

/** The last column is the target (the usual layout); other numeric columns are inputs; text columns are ignored. */
export function defaultRoles(columns: readonly string[], numericColumns: readonly string[]): Record<string, ColumnRole> {
  const numeric = new Set(numericColumns);
  const roles: Record<string, ColumnRole> = {};
  columns.forEach((column, i) => {
    roles[column] = i === columns.length - 1 ? 'target' : numeric.has(column) ? 'input' : 'ignore';
  });
  return roles;
}

/** A text target means class labels; a numeric one, regression. */
export function guessTask(columns: readonly string[], numericColumns: readonly string[], roles: Record<string, ColumnRole>): Task {
  const numeric = new Set(numericColumns);
  const targets = columns.filter((c) => roles[c] === 'target');
  return targets.length === 1 && !numeric.has(targets[0]!) ? 'classification' : 'regression';
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
