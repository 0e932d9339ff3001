import { describe, expect, it } from 'vitest';
import { csvToTable, irisCsv, parseCsvText } from '../../../app/data';

describe('built-in iris sample', () => {
  it('is Fisher\'s 150 flowers, 50 per species, with the published column means', () => {
    const parsed = parseCsvText(irisCsv);
    expect(parsed.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
    const inputs = parsed.columns.slice(0, 4);
    const { table, classes } = csvToTable(parsed, { inputs, target: ['species'], task: 'classification' });
    expect(table.rows).toBe(150);
    expect(classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const counts = [0, 0, 0];
    const sums = [0, 0, 0, 0];
    for (let r = 0; r < 150; r++) {
      counts[table.data[r * 5 + 4]!]! += 1;
      for (let c = 0; c < 4; c++) sums[c]! += table.data[r * 5 + c]!;
    }
    expect(counts).toEqual([50, 50, 50]);
    // Means of R's `iris`; the sepal width and petal means differ in the UCI copy with its two transcription errors.
    const means = sums.map((sum) => sum / 150);
    [5.843333, 3.057333, 3.758, 1.199333].forEach((expected, c) => expect(means[c]).toBeCloseTo(expected, 5));
  });
});
