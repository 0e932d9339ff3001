// Axis titles with the quantity and its unit, and when a y axis should be logarithmic (issue 14).
import { describe, expect, it } from 'vitest';
import { lossAxisName, metricAxisName, spansDecades, targetNames, withYScale } from '../../../renderer/src/lib/axes';

describe('axis titles', () => {
  it('puts the target in the unit: a loss in its square, an RMSE in it', () => {
    expect(lossAxisName('regression', ['progression'])).toBe('loss: MSE (progression²)');
    expect(lossAxisName('regression', ['a', 'b'], 'test')).toBe('test loss: MSE (target units²)');
    expect(lossAxisName('classification', ['species'])).toBe('loss: cross-entropy (nats)');
    expect(metricAxisName('RMSE', ['y'])).toBe('test RMSE (y)');
    expect(metricAxisName('accuracy', ['species'])).toBe('test accuracy (fraction of rows)');
    expect(metricAxisName('RMSE', [])).toBe('test RMSE');
  });

  it('reads the target from a recipe: the CSV columns, or y for a formula', () => {
    expect(targetNames({ data: { csv: 'dataset:1', target: ['progression'] } })).toEqual(['progression']);
    expect(targetNames({ data: { formula: 'x1*x2' } })).toEqual(['y']);
    expect(targetNames(undefined)).toEqual([]);
  });
});

describe('log or linear', () => {
  it('is log where positive figures span two decades or more', () => {
    expect(spansDecades([0.5, 0.004, null, 0.02])).toBe(true);
    expect(spansDecades([0.5, 0.9, 0.051])).toBe(false);
    expect(spansDecades([0.5, 0.001, 0])).toBe(false);
    expect(spansDecades([])).toBe(false);
  });

  it('switches the y axis and keeps its title; a linear axis without a floor starts at the data', () => {
    const option = { yAxis: { type: 'log', name: 'loss: MSE (y²)' } };
    expect(withYScale(option, false).yAxis).toEqual({ type: 'value', name: 'loss: MSE (y²)', scale: true });
    expect(withYScale({ yAxis: { type: 'value', min: 0, name: 'RMSE' } }, true).yAxis).toEqual({ type: 'log', name: 'RMSE' });
    expect(withYScale({ yAxis: { type: 'value', min: 0 } }, false).yAxis).toEqual({ type: 'value', min: 0 });
  });
});
