import { describe, expect, it } from 'vitest';
import { DataError, csvToTable, parseCsvText, parseNumberCell, previewCsv, type ColumnSelection } from '../../../app/data';

function dataError(action: () => unknown): DataError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

const regression = (inputs: string[], target: string[]): ColumnSelection => ({ inputs, target, task: 'regression' });

describe('parseCsvText happy paths', () => {
  it('reads a header and rows', () => {
    const parsed = parseCsvText('x1,x2,y\n1,2,3\n4,5,6\n');
    expect(parsed.columns).toEqual(['x1', 'x2', 'y']);
    expect(parsed.rows).toBe(2);
    expect(parsed.cells).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
    expect(parsed.lines).toEqual([2, 3]);
  });

  it('handles quoted fields holding delimiters, quotes and line breaks', () => {
    const parsed = parseCsvText('"name, full",x\n"Smith, J.",1\n"say ""hi""",2\n"two\nlines",3\nlast,4\n');
    expect(parsed.columns).toEqual(['name, full', 'x']);
    expect(parsed.cells.map((row) => row[0])).toEqual(['Smith, J.', 'say "hi"', 'two\nlines', 'last']);
    expect(parsed.lines).toEqual([2, 3, 4, 6]);
  });

  it('strips a byte order mark and trims header names', () => {
    const parsed = parseCsvText('\uFEFF a , b\n1,2\n');
    expect(parsed.columns).toEqual(['a', 'b']);
  });

  it('reads CRLF line endings and ignores blank trailing lines', () => {
    const parsed = parseCsvText('a,b\r\n1,2\r\n3,4\r\n\r\n\r\n');
    expect(parsed.rows).toBe(2);
    expect(parsed.cells[1]).toEqual(['3', '4']);
  });

  it('detects semicolons, tabs and pipes', () => {
    for (const delimiter of [';', '\t', '|']) {
      const parsed = parseCsvText(['a', 'b', 'c'].join(delimiter) + '\n' + ['1.5', '2', '3'].join(delimiter) + '\n' + ['4', '5', '6'].join(delimiter));
      expect(parsed.columns, JSON.stringify(delimiter)).toEqual(['a', 'b', 'c']);
      expect(parsed.cells[0]).toEqual(['1.5', '2', '3']);
    }
  });

  it('uses a given delimiter', () => {
    const parsed = parseCsvText('a:b\n1:2\n', { delimiter: ':' });
    expect(parsed.columns).toEqual(['a', 'b']);
  });

  it('reads a single-column file', () => {
    const parsed = parseCsvText('y\n1\n2\n3');
    expect(parsed.columns).toEqual(['y']);
    expect(parsed.rows).toBe(3);
  });

  it('skips blank lines and rows of empty fields, keeping true line numbers for later errors', () => {
    const parsed = parseCsvText('a,b\n1,2\n\n3,4\n,\n5,x\n,,\n');
    expect(parsed.rows).toBe(3);
    expect(parsed.lines).toEqual([2, 4, 6]);
    const error = dataError(() => csvToTable(parsed, regression(['a'], ['b'])));
    expect(error.details?.row).toBe(6);
    expect(error.message).toContain('Row 6');
  });
});

describe('parseCsvText errors', () => {
  it('rejects an empty file and a header-only file', () => {
    for (const text of ['', '\n\n  \n', '\uFEFF']) expect(dataError(() => parseCsvText(text)).code).toBe('csv_empty');
    const headerOnly = dataError(() => parseCsvText('a,b\n\n'));
    expect(headerOnly.code).toBe('csv_empty');
    expect(headerOnly.message).toContain('no data rows');
  });

  it('names the ragged row and the expected and found field counts', () => {
    const error = dataError(() => parseCsvText('a,b,c\n1,2,3\n4,5,6\n7,8\n'));
    expect(error.code).toBe('csv_ragged');
    expect(error.details).toMatchObject({ row: 4, expected: 3, found: 2 });
    expect(error.message).toContain('Row 4 has 2 fields but the header has 3');
  });

  it('counts lines inside quoted fields when naming a ragged row', () => {
    const error = dataError(() => parseCsvText('a,b\n"x\ny",1\n2\n'));
    expect(error.details?.row).toBe(4);
  });

  it('rejects duplicate and empty header names', () => {
    const duplicate = dataError(() => parseCsvText('a,b,a\n1,2,3\n'));
    expect(duplicate.code).toBe('csv_bad_header');
    expect(duplicate.message).toContain('"a" twice');
    const empty = dataError(() => parseCsvText('a,,c\n1,2,3\n'));
    expect(empty.code).toBe('csv_bad_header');
    expect(empty.message).toContain('Column 2');
  });

  it('names the row of an unterminated quote', () => {
    const error = dataError(() => parseCsvText('a,b\n1,2\n"3,4\n5,6\n'));
    expect(error.code).toBe('csv_quotes');
    expect(error.details?.row).toBe(3);
    expect(error.message).toContain('Row 3');
  });

  it('refuses text over the size limit', () => {
    const error = dataError(() => parseCsvText('a,b\n1,2\n', { maxBytes: 5 }));
    expect(error.code).toBe('too_large');
    expect(error.details).toMatchObject({ size: 8, limit: 5 });
  });
});

describe('number cells', () => {
  it('accepts plain, signed, exponent, padded and bare-decimal numbers', () => {
    expect(parseNumberCell('1e-3')).toBe(0.001);
    expect(parseNumberCell(' 2.5 ')).toBe(2.5);
    expect(Object.is(parseNumberCell('-0'), -0)).toBe(true);
    expect(parseNumberCell('+3')).toBe(3);
    expect(parseNumberCell('.5')).toBe(0.5);
    expect(parseNumberCell('7.')).toBe(7);
    expect(parseNumberCell('-1.25E+2')).toBe(-125);
  });

  it('rejects missing markers, text, infinities, hex and decimal commas', () => {
    for (const text of ['', '  ', 'NA', 'nan', 'NaN', 'null', 'abc', 'Infinity', '1e400', '0x10', '1,5', '1 000', '--1', 'e5']) {
      expect(parseNumberCell(text), text).toBeNull();
    }
  });
});

describe('previewCsv', () => {
  it('returns the first rows and the columns numeric in every row', () => {
    const parsed = parseCsvText('a,b,label\n1,2,cat\n3, x ,dog\n5,6,cat\n');
    const preview = previewCsv(parsed, 2);
    expect(preview.columns).toEqual(['a', 'b', 'label']);
    expect(preview.rows).toEqual([
      ['1', '2', 'cat'],
      ['3', ' x ', 'dog'],
    ]);
    expect(preview.numericColumns).toEqual(['a']);
  });
});

describe('csvToTable', () => {
  const text = 'x1,x2,label,y\n1,10,b,0.5\n2,20,a,1.5\n3,30,c,2.5\n4,41,a,3.5\n';

  it('puts inputs then targets, in the selected order', () => {
    const result = csvToTable(parseCsvText(text), regression(['x2', 'x1'], ['y']));
    expect(result.inputs).toEqual(['x2', 'x1']);
    expect(result.targets).toEqual(['y']);
    expect(result.table.columns).toEqual(['x2', 'x1', 'y']);
    expect(result.table.rows).toBe(4);
    expect(Array.from(result.table.data.subarray(0, 6))).toEqual([10, 1, 0.5, 20, 2, 1.5]);
    expect(result.classes).toBeUndefined();
  });

  it('turns text labels into sorted class indices', () => {
    const result = csvToTable(parseCsvText(text), { inputs: ['x1', 'x2'], target: ['label'], task: 'classification' });
    expect(result.classes).toEqual(['a', 'b', 'c']);
    const labels = [0, 1, 2, 3].map((r) => result.table.data[r * 3 + 2]);
    expect(labels).toEqual([1, 0, 2, 0]);
  });

  it('sorts numeric labels by value and merges spellings of the same number', () => {
    const parsed = parseCsvText('x,k\n1,10\n2,2\n3,2.0\n4,1\n');
    const result = csvToTable(parsed, { inputs: ['x'], target: ['k'], task: 'classification' });
    expect(result.classes).toEqual(['1', '2', '10']);
    expect([0, 1, 2, 3].map((r) => result.table.data[r * 2 + 1])).toEqual([2, 1, 1, 0]);
  });

  it('names a missing column and lists the available ones', () => {
    const error = dataError(() => csvToTable(parseCsvText(text), regression(['x1', 'x9'], ['y'])));
    expect(error.code).toBe('csv_missing_column');
    expect(error.message).toContain('"x9"');
    expect(error.message).toContain('x1, x2, label, y');
    expect(error.details?.available).toEqual(['x1', 'x2', 'label', 'y']);
  });

  it('names row, column and value of a non-numeric cell, counting the header as row 1', () => {
    const parsed = parseCsvText('x1,x2,y\n' + Array.from({ length: 15 }, (_, i) => `${i},${i * 2},${i}`).join('\n') + '\n16,abc,1\n');
    const error = dataError(() => csvToTable(parsed, regression(['x1', 'x2'], ['y'])));
    expect(error.code).toBe('csv_non_numeric');
    expect(error.details).toMatchObject({ row: 17, column: 'x2', value: 'abc' });
    expect(error.message).toBe('Row 17, column "x2": "abc" is not a number. Fix the cell or mark the column as ignored.');
  });

  it('checks regression targets as numbers too', () => {
    const error = dataError(() => csvToTable(parseCsvText(text), regression(['x1'], ['label'])));
    expect(error.code).toBe('csv_non_numeric');
    expect(error.details).toMatchObject({ row: 2, column: 'label', value: 'b' });
  });

  it('says that empty, NA and nan cells are missing values', () => {
    const cases: [string, string][] = [
      ['', 'is empty'],
      ['NA', '"NA" marks a missing value, which is not a number'],
      ['nan', '"nan" marks a missing value, which is not a number'],
    ];
    for (const [cell, phrase] of cases) {
      const error = dataError(() => csvToTable(parseCsvText(`a,b\n1,2\n3,${cell}\n`), regression(['a'], ['b'])));
      expect(error.code).toBe('csv_missing_value');
      expect(error.details).toMatchObject({ row: 3, column: 'b' });
      expect(error.message).toContain(phrase);
    }
  });

  it('explains a decimal comma and an overflowing number', () => {
    const comma = dataError(() => csvToTable(parseCsvText('a;b\n1,5;2\n3;4\n'), regression(['a'], ['b'])));
    expect(comma.code).toBe('csv_non_numeric');
    expect(comma.message).toContain('decimal comma');
    expect(comma.message).toContain('1.5');
    const huge = dataError(() => csvToTable(parseCsvText('a,b\n1e400,2\n3,4\n'), regression(['a'], ['b'])));
    expect(huge.code).toBe('csv_non_numeric');
    expect(huge.message).toContain('too large');
  });

  it('keeps a constant input column: finding and dropping those is the cleaning step\'s job, for all columns at once', () => {
    const { table } = csvToTable(parseCsvText('a,c,y\n1,5,1\n2,5,2\n3,5.0,3\n'), regression(['a', 'c'], ['y']));
    expect(Array.from(table.data)).toEqual([1, 5, 1, 2, 5, 2, 3, 5, 3]);
  });

  it('turns missing cells into NaN with keepMissing, class labels included, but still rejects text', () => {
    const parsed = parseCsvText('a,b,k\n1,,x\nNA,2,\n3,4,y\n5,6,x\n');
    const { table, classes } = csvToTable(parsed, { inputs: ['a', 'b'], target: ['k'], task: 'classification', keepMissing: true });
    expect(classes).toEqual(['x', 'y']);
    expect(Array.from(table.data)).toEqual([1, NaN, 0, NaN, 2, NaN, 3, 4, 1, 5, 6, 0]);
    const text = dataError(() => csvToTable(parseCsvText('a,b\n1,2\nabc,3\n'), { ...regression(['a'], ['b']), keepMissing: true }));
    expect(text.code).toBe('csv_non_numeric');
  });

  it('counts a column with missing cells as numeric in the preview', () => {
    expect(previewCsv(parseCsvText('a,b,c\n1,,x\n2,NA,y\n'), 5).numericColumns).toEqual(['a', 'b']);
  });

  it('reads a 100,000-digit cell that ends in a letter in linear time (the number pattern was quadratic: minutes)', () => {
    expect(parseNumberCell(`${'9'.repeat(100_000)}a`)).toBeNull();
    expect(parseNumberCell(`${'9'.repeat(100_000)}.5e`)).toBeNull();
    expect(parseNumberCell(`1${'0'.repeat(300)}.25`)).toBe(1e300);
  });

  it('rejects a target that is also an input, a repeated column and empty selections', () => {
    const parsed = parseCsvText(text);
    const both = dataError(() => csvToTable(parsed, regression(['x1', 'y'], ['y'])));
    expect(both.code).toBe('csv_target_in_inputs');
    expect(both.message).toContain('"y"');
    expect(dataError(() => csvToTable(parsed, regression(['x1', 'x1'], ['y']))).code).toBe('csv_bad_selection');
    expect(dataError(() => csvToTable(parsed, regression([], ['y']))).code).toBe('csv_bad_selection');
    expect(dataError(() => csvToTable(parsed, regression(['x1'], []))).code).toBe('csv_bad_selection');
  });

  it('needs exactly one target and at least two classes for classification', () => {
    const parsed = parseCsvText(text);
    const two = dataError(() => csvToTable(parsed, { inputs: ['x1'], target: ['label', 'y'], task: 'classification' }));
    expect(two.code).toBe('csv_classification_targets');
    expect(two.message).toContain('2 are selected');
    const one = dataError(() => csvToTable(parseCsvText('x,k\n1,a\n2,a\n'), { inputs: ['x'], target: ['k'], task: 'classification' }));
    expect(one.code).toBe('csv_too_few_classes');
    expect(one.message).toContain('only one class (a)');
    const empty = dataError(() => csvToTable(parseCsvText('x,k\n1,a\n2, \n'), { inputs: ['x'], target: ['k'], task: 'classification' }));
    expect(empty.code).toBe('csv_missing_value');
    expect(empty.details?.row).toBe(3);
  });

  it('rejects a continuous column used as class labels', () => {
    const rows = Array.from({ length: 1500 }, (_, i) => `${i},${i / 7}`).join('\n');
    const error = dataError(() => csvToTable(parseCsvText(`x,k\n${rows}\n`), { inputs: ['x'], target: ['k'], task: 'classification' }));
    expect(error.code).toBe('csv_too_many_classes');
    expect(error.message).toContain('regression');
  });
});

describe('large files', () => {
  it('parses and converts a 100k-row CSV in reasonable time', () => {
    const lines = ['x1,x2,x3,y'];
    for (let i = 0; i < 100_000; i++) lines.push(`${(i * 0.001).toFixed(3)},${Math.sin(i)},${i % 97},${(i * 1e-4).toExponential(4)}`);
    const text = lines.join('\n') + '\n';
    const start = performance.now();
    const parsed = parseCsvText(text);
    const parsedAt = performance.now();
    const { table } = csvToTable(parsed, regression(['x1', 'x2', 'x3'], ['y']));
    const end = performance.now();
    console.log(
      `CSV 100k rows x 4 columns (${(text.length / 1e6).toFixed(1)} MB): parse ${(parsedAt - start).toFixed(0)} ms, to table ${(end - parsedAt).toFixed(0)} ms`,
    );
    expect(table.rows).toBe(100_000);
    expect(table.data[99_999 * 4 + 2]).toBe(99_999 % 97);
    expect(table.data[12_345 * 4 + 1]).toBeCloseTo(Math.sin(12_345), 12);
    expect(end - start).toBeLessThan(10_000);
  });
});

describe('magnitude of numeric cells', () => {
  it('refuses values whose squares overflow, naming the row, column and how to fix it', () => {
    const parsed = parseCsvText('x,y\n1,2\n-1e308,3\n2,1e308\n');
    let error: unknown;
    try {
      csvToTable(parsed, { inputs: ['x'], target: ['y'], task: 'regression' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe('csv_out_of_range');
    expect((error as DataError).message).toMatch(/^Row 3, column "x": -1e\+308 is too large in magnitude; .* Rescale the column/);
    expect(csvToTable(parseCsvText('x,y\n1e150,2\n-3,1e-300\n'), { inputs: ['x'], target: ['y'], task: 'regression' }).table.rows).toBe(2);
  });
});

describe('hostile cells', () => {
  it('reads a 1 MB cell of digits that ends in a letter in linear time, and quotes only its start in the error', () => {
    const cell = `${'9'.repeat(1024 * 1024)}a`;
    const started = performance.now();
    expect(parseNumberCell(cell)).toBeNull();
    const error = dataError(() => csvToTable(parseCsvText(`x,y\n1,2\n${cell},3\n`), regression(['x'], ['y'])));
    const seconds = (performance.now() - started) / 1000;
    // The backtracking pattern took 6.5 s for 50k digits; a linear one reads a megabyte in milliseconds.
    expect(seconds).toBeLessThan(0.5);
    expect(error.code).toBe('csv_non_numeric');
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain(`(${cell.length} characters)`);
    expect(String(error.details?.value).length).toBeLessThan(100);
  });

  it('cuts long column names and lists at most a dozen of them when a column is missing', () => {
    const names = Array.from({ length: 40 }, (_, i) => `${'c'.repeat(500)}${i}`);
    const text = `${names.join(',')}\n${names.map(() => '1').join(',')}\n`;
    const error = dataError(() => csvToTable(parseCsvText(text), regression(['nope'], [names[0]!])));
    expect(error.code).toBe('csv_missing_column');
    expect(error.message).toContain('and 28 more');
    expect(error.message.length).toBeLessThan(1200);
  });
});
