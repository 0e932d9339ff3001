import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import { computeBaselines, fitLogistic, fitRidge, predictLinear, RIDGE_ALPHAS, type ClassificationBaselines, type RegressionBaselines } from '../../../app/train/baselines';
import { regressionMetrics } from '../../../app/train/metrics';
import type { Batch } from '../../../app/train/types';
import { Rng } from '../../../app/util/rng';

/** scikit-learn is the oracle (Debian's python3-sklearn, at /usr/bin/python3 as the house rules say). */
const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

function sklearn(script: string, input: unknown): unknown {
  const run = spawnSync('/usr/bin/python3', ['-c', `import json, sys\nimport numpy as np\ndata = json.load(sys.stdin)\n${script}`], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

/**
 * Draws of one problem: rows of x [n][nIn] with targets 3 + x . W + noise (regression, nOut outputs) or the arg-max
 * class of x . W + noise; each draw continues the same random stream.
 */
function problem(nIn: number, nOut: number, seed: number, task: 'regression' | 'classification'): (n: number) => Batch {
  const rng = new Rng(seed);
  const w = new Float64Array(nIn * nOut).map(() => rng.normal());
  return (n) => draw(n, nIn, nOut, w, rng, task);
}

function draw(n: number, nIn: number, nOut: number, w: Float64Array, rng: Rng, task: 'regression' | 'classification'): Batch {
  const x = new Float64Array(n * nIn).map(() => rng.normal());
  const y = new Float64Array(task === 'regression' ? n * nOut : n);
  for (let s = 0; s < n; s++) {
    const z = Array.from({ length: nOut }, (_, j) => {
      let sum = 0;
      for (let i = 0; i < nIn; i++) sum += x[s * nIn + i]! * w[i * nOut + j]!;
      return sum + 0.8 * rng.normal();
    });
    if (task === 'regression') z.forEach((v, j) => (y[s * nOut + j] = 3 + v));
    else y[s] = z.indexOf(Math.max(...z));
  }
  return { x, y, n };
}

const rows = (b: Batch, nIn: number): number[][] => Array.from({ length: b.n }, (_, s) => Array.from(b.x.subarray(s * nIn, (s + 1) * nIn)));

describe('baselines', () => {
  it.skipIf(!hasSklearn)('ridge equals scikit-learn Ridge with the same alpha (coefficients and intercepts to 1e-8)', () => {
    const train = problem(4, 2, 1, 'regression')(40);
    const alphas = [1e-3, 1, 30];
    const want = sklearn('from sklearn.linear_model import Ridge\nout = []\nfor a in data["alphas"]:\n  m = Ridge(alpha=a).fit(np.array(data["x"]), np.array(data["y"]))\n  out.append({"coef": m.coef_.T.ravel().tolist(), "intercept": m.intercept_.tolist()})\nprint(json.dumps(out))', {
      alphas, x: rows(train, 4), y: Array.from({ length: train.n }, (_, s) => [train.y[2 * s], train.y[2 * s + 1]]),
    }) as { coef: number[]; intercept: number[] }[];
    alphas.forEach((alpha, a) => {
      const model = fitRidge(train, 4, 2, alpha);
      Array.from(model.weights.subarray(0, 8)).forEach((v, i) => expect(Math.abs(v - want[a]!.coef[i]!)).toBeLessThan(1e-8));
      want[a]!.intercept.forEach((v, j) => expect(Math.abs(model.weights[8 + j]! - v)).toBeLessThan(1e-8));
    });
  }, 60_000);

  it.skipIf(!hasSklearn)('logistic regression is close to scikit-learn multinomial LogisticRegression with the same C', () => {
    const draw3 = problem(3, 3, 2, 'classification');
    const [train, test] = [draw3(120), draw3(50)];
    const cs = [0.1, 10];
    const probabilities = sklearn('from sklearn.linear_model import LogisticRegression\nout = []\nfor c in data["cs"]:\n  m = LogisticRegression(C=c, tol=1e-12, max_iter=100000).fit(np.array(data["x"]), np.array(data["y"]))\n  out.append(m.predict_proba(np.array(data["test"])).ravel().tolist())\nprint(json.dumps(out))', {
      cs, x: rows(train, 3), y: Array.from(train.y), test: rows(test, 3),
    }) as number[][];
    cs.forEach((C, q) => {
      const want = probabilities[q]!;
      const model = fitLogistic(train, 3, 3, C, new Float64Array(12));
      const scores = predictLinear(model, test);
      for (let s = 0; s < test.n; s++) {
        const row = Array.from(scores.subarray(3 * s, 3 * s + 3));
        const max = Math.max(...row);
        const total = row.reduce((sum, v) => sum + Math.exp(v - max), 0);
        row.forEach((v, c) => expect(Math.abs(Math.exp(v - max) / total - want[3 * s + c]!)).toBeLessThan(1e-4));
      }
    });
  }, 60_000);

  it('regression: the mean is the training mean, and ridge takes the alpha with the lowest validation RMSE', () => {
    const next = problem(3, 1, 4, 'regression');
    const [train, validation, test] = [next(60), next(30), next(30)];
    const b = computeBaselines({ task: 'regression', nIn: 3, nOut: 1, train, validation, test }) as RegressionBaselines;
    const mean = train.y.reduce((sum, v) => sum + v, 0) / train.n;
    expect(b.mean.test!.rmse).toBeCloseTo(Math.sqrt(test.y.reduce((sum, v) => sum + (v - mean) ** 2, 0) / test.n), 12);
    expect(b.mean.train.r2).toBeCloseTo(0, 12);
    expect(b.mean.params).toBe(1);
    const validationRmse = (alpha: number): number => regressionMetrics(predictLinear(fitRidge(train, 3, 1, alpha), validation), validation.y, validation.n, 1).rmse;
    expect(validationRmse(b.ridge.alpha)).toBe(Math.min(...RIDGE_ALPHAS.map(validationRmse)));
    expect(b.ridge.params).toBe(4);
    expect(b.ridge.test!.rmse).toBeLessThan(0.8 * b.mean.test!.rmse);
  });

  it('classification: the majority class scores its share, logistic regression far more', () => {
    const next = problem(2, 3, 7, 'classification');
    const [train, validation, test] = [next(150), next(60), next(60)];
    const b = computeBaselines({ task: 'classification', nIn: 2, nOut: 3, train, validation, test }) as ClassificationBaselines;
    const counts = [0, 1, 2].map((c) => train.y.filter((v) => v === c).length);
    const majority = counts.indexOf(Math.max(...counts));
    expect(b.majority.test!.accuracy).toBe(test.y.filter((v) => v === majority).length / test.n);
    // Predicting the class shares: the log-loss is the cross-entropy of the test labels under them.
    const logLoss = -Array.from(test.y).reduce((sum, v) => sum + Math.log(counts[v]! / train.n), 0) / test.n;
    expect(b.majority.test!.logLoss).toBeCloseTo(logLoss, 12);
    expect(b.logistic.test!.accuracy).toBeGreaterThan(b.majority.test!.accuracy + 0.2);
    expect(b.logistic.trainRows).toBe(150);
  });

  it('without validation rows the strengths are not searched, and the validation scores are null', () => {
    const empty: Batch = { x: new Float64Array(0), y: new Float64Array(0), n: 0 };
    const b = computeBaselines({ task: 'regression', nIn: 3, nOut: 1, train: problem(3, 1, 1, 'regression')(30), validation: empty, test: empty }) as RegressionBaselines;
    expect(b.ridge.alpha).toBe(1);
    expect(b.ridge.validation).toBeNull();
    expect(b.mean.test).toBeNull();
  });
});
