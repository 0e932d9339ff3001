// Tests cleaning and profiling: every constant and duplicate column found in one pass (on scikit-learn's digits), missing
// cells counted, dropped or imputed from training rows only, and the task a target column suggests.
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  applyMeanImputer, countMissing, dropRowsWithMissing, findRedundantColumns, fitMeanImputer, inferTask, parseCsvText, profileCsv,
  summarizeTarget, withoutColumns, type NumericTable,
} from '../../../app/data';

/** 514 rows of digits.csv (header px0..px63,digit) chosen so that the constant columns are those of all 1,797 rows. */
const digitsFixture = fs.readFileSync(path.join(__dirname, '../../integration/fixtures/digits-514.csv'), 'utf8');
/** Debian's python3-sklearn: 1,797 rows, 64 pixel columns then the label, no header. */
const digitsGz = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';

function table(columns: string[], rows: number[][]): NumericTable {
  return { columns, rows: rows.length, data: Float64Array.from(rows.flat()) };
}

describe('findRedundantColumns', () => {
  it('reports every constant column of digits at once (fixture)', () => {
    const profile = profileCsv(parseCsvText(digitsFixture));
    expect(profile.constant).toEqual(['px0', 'px32', 'px39']);
    expect(profile.duplicate).toEqual([]);
    expect(profile.missing).toEqual({});
    expect(profile.tasks.digit).toEqual({ task: 'classification', reason: '10 distinct integer labels' });
  });

  it.skipIf(!fs.existsSync(digitsGz))('reports every constant column of the full digits data (skipped without python3-sklearn)', () => {
    const body = gunzipSync(fs.readFileSync(digitsGz)).toString('utf8');
    const header = [...Array.from({ length: 64 }, (_, i) => `px${i}`), 'digit'].join(',');
    const parsed = parseCsvText(`${header}\n${body}`);
    expect(parsed.rows).toBe(1797);
    expect(profileCsv(parsed).constant).toEqual(['px0', 'px32', 'px39']);
  });

  it('finds duplicates of earlier columns, missing cells included, and not columns that differ in one cell', () => {
    const t = table(['a', 'b', 'c', 'd', 'e', 'k'], [
      [1, 1, 2, 1, 7, 3],
      [2, 2, 4, 2, 7, NaN],
      [NaN, NaN, 6, 3, NaN, 3],
      [4, 4, 8, 4, 7, 3],
    ]);
    const found = findRedundantColumns(t, [0, 1, 2, 3, 4, 5]);
    // e and k vary nowhere but in missing cells: constant. d differs from a where a is missing.
    expect(found.constant).toEqual(['e', 'k']);
    expect(found.duplicate).toEqual([{ column: 'b', sameAs: 'a' }]);
    expect(findRedundantColumns(t, [1, 2]).duplicate).toEqual([]);
  });

  it('drops the named columns and keeps the order of the rest', () => {
    const t = withoutColumns(table(['a', 'b', 'c'], [[1, 2, 3], [4, 5, 6]]), new Set(['b']));
    expect(t.columns).toEqual(['a', 'c']);
    expect(Array.from(t.data)).toEqual([1, 3, 4, 6]);
  });
});

describe('missing cells', () => {
  const withGaps = table(['a', 'b', 'y'], [
    [1, NaN, 1],
    [2, 20, 2],
    [NaN, NaN, 3],
    [4, 40, NaN],
    [5, 50, 5],
  ]);

  it('counts them per column and drops the rows that miss a value in the checked columns', () => {
    expect(countMissing(withGaps, [0, 1, 2])).toEqual({ a: 1, b: 2, y: 1 });
    const { table: kept, rowsDropped } = dropRowsWithMissing(withGaps, [0, 1, 2]);
    expect(rowsDropped).toBe(3);
    expect(Array.from(kept.data)).toEqual([2, 20, 2, 5, 50, 5]);
    expect(dropRowsWithMissing(withGaps, [2]).rowsDropped).toBe(1);
  });

  it('imputes with the mean of the rows it was fitted on, so test values never shape it', () => {
    const train = table(['a', 'y'], [[1, 0], [NaN, 0], [5, 0]]);
    const test = table(['a', 'y'], [[NaN, 1], [1000, 1]]);
    const imputer = fitMeanImputer(train, [0]);
    expect(imputer).toEqual({ columns: ['a'], mean: [3] });
    const filledTest = applyMeanImputer(test, imputer);
    expect(Array.from(filledTest.table.data)).toEqual([3, 1, 1000, 1]);
    expect(filledTest.filled).toEqual({ a: 1 });
    expect(Number.isNaN(test.data[0]!)).toBe(true);
    expect(() => fitMeanImputer(table(['a'], [[NaN], [NaN]]), [0])).toThrow(/"a" has no values in the training rows/);
  });
});

describe('inferTask', () => {
  const summary = (cells: string[]) => summarizeTarget(parseCsvText(`y\n${cells.join('\n')}\n`), 0);

  it('takes up to 20 distinct whole numbers, or text, for class labels', () => {
    expect(inferTask([summary(['0', '1', '1', '0'])])).toEqual({ task: 'classification', reason: '2 distinct integer labels' });
    const twenty = Array.from({ length: 20 }, (_, i) => String(i));
    expect(inferTask([summary([...twenty, '3.0', 'NA'])])).toEqual({ task: 'classification', reason: '20 distinct integer labels' });
    expect(inferTask([summary(['cat', 'dog', ''])])).toEqual({ task: 'classification', reason: '2 distinct text labels' });
  });

  it('takes 21 distinct whole numbers, any fraction, a single value or several targets for regression', () => {
    const twentyOne = Array.from({ length: 21 }, (_, i) => String(i));
    expect(inferTask([summary(twentyOne)])).toEqual({ task: 'regression', reason: 'more than 20 distinct integer values' });
    expect(inferTask([summary(['1', '2', '2.5'])])).toEqual({ task: 'regression', reason: 'non-integer values' });
    expect(inferTask([summary(['4', '4'])]).task).toBe('regression');
    expect(inferTask([summary(['0', '1']), summary(['0', '1'])])).toEqual({ task: 'regression', reason: '2 target columns' });
  });

  it('profiles missing cells of text and numeric columns alike', () => {
    expect(profileCsv(parseCsvText('a,b,c\n1,,x\n2,NA,\n3,4,y\n')).missing).toEqual({ b: 2, c: 1 });
  });
});
