/** The discovery benchmark's SymPy judge: exact for an equivalent formula, not for a wrong constant, and it outlives bad formulas. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DiscoveryJudge, PYTHON_WITH_SYMPY, type JudgeRequest } from '../../../bench/discovery-judge';

const hasSympy = spawnSync(PYTHON_WITH_SYMPY, ['-c', 'import sympy, numpy'], { encoding: 'utf8' }).status === 0;

// The first request waits for Python to import SymPy, seconds on a busy machine.
describe.skipIf(!hasSympy)('discovery judge (skipped without sympy and numpy in /usr/bin/python3)', { timeout: 60_000 }, () => {
  const judge = DiscoveryJudge.start(fileURLToPath(new URL('../../../bench/discovery-judge.py', import.meta.url)));
  afterAll(() => judge.close());

  const ask = (truth: string, found: string, vars = 3): Promise<Awaited<ReturnType<DiscoveryJudge['judge']>>> => {
    const request: JudgeRequest = {
      id: found, truth, found, variables: Array.from({ length: vars }, (_, v) => `x${v + 1}`),
      ranges: Array.from({ length: vars }, () => [1, 5] as [number, number]), points: 4000, seed: 1,
    };
    return judge.judge(request);
  };

  it('calls a formula written differently but equal to the truth exact', async () => {
    const reply = await ask('x1/(4*pi*x2^2)', '0.25*x1*x2**(-2)/pi', 2);
    expect(reply.error).toBeNull();
    expect(reply.nrmse!).toBeLessThan(1e-12);
    expect(reply).toMatchObject({ exact: true, close: true });
    expect((await ask('x1*x2*x3', 'exp(log(x1) + log(x2) + log(x3))')).exact).toBe(true);
  });

  it('calls a slightly wrong constant close but not exact, and a wrong formula neither', async () => {
    const slightly = await ask('x1*x2*x3', '1.001*x1*x2*x3');
    expect(slightly.nrmse!).toBeGreaterThan(1e-6);
    expect(slightly).toMatchObject({ exact: false, close: true });
    const wrong = await ask('x1*x2*x3', 'x1*x2 + x3');
    expect(wrong).toMatchObject({ exact: false, close: false });
    expect(wrong.nrmse!).toBeGreaterThan(1e-2);
  });

  it('counts the nodes of the expression tree as complexity', async () => {
    // x1*x2/x3 is Mul(x1, x2, Pow(x3, -1)): Mul, x1, x2, Pow, x3, -1.
    expect(await ask('x1*x2/x3', 'x1*x2/x3')).toMatchObject({ complexity: 6, truthComplexity: 6 });
  });

  it('reports a formula SymPy cannot parse, numeric edges, or one undefined on the ranges, and answers the next request', async () => {
    const unparsable = await ask('x1*x2', 'x1*(x2 +', 2);
    expect(unparsable).toMatchObject({ nrmse: null, exact: false, close: false });
    expect(unparsable.error).toMatch(/does not parse/);
    expect((await ask('x1*x2', 'phi_0_0_0(x1) + x2', 2)).error).toMatch(/numeric edges phi_0_0_0/);
    expect((await ask('x1', 'log(x1 - 3)', 1)).error).toMatch(/undefined at \d+ of 4000 points/);
    expect((await ask('x1*x2', 'x2*x1', 2)).exact).toBe(true);
  });
});
