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

  const ask = (truth: string, found: string, vars = 3, range: [number, number] = [1, 5]): Promise<Awaited<ReturnType<DiscoveryJudge['judge']>>> => {
    const request: JudgeRequest = {
      id: found, truth, found, variables: Array.from({ length: vars }, (_, v) => `x${v + 1}`),
      ranges: Array.from({ length: vars }, () => range), points: 4000, seed: 1,
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

  it('calls the law only a formula equal to the truth once its decimals are the numbers they stand for', async () => {
    const decimals = await ask('x1/(4*pi*x2^2)', '0.0795774715459477*x1/x2**2', 2);
    expect(decimals).toMatchObject({ exact: true, law: true });
    const planck = await ask('x1^3/(exp(x1)-1)', '1/(-0.9999999999999*x1**(-3) + 1.0000000000002*exp(x1)/x1**3)', 1);
    expect(planck).toMatchObject({ exact: true, law: true });
    // A ratio of polynomials fitted to 1/(x (e^x + 1)) on [0.5, 3]: within 1e-6 of it there, so exact, but not the law.
    const approximation = await ask('1/(x1*(exp(x1)+1))', '(-0.24877765070940386*x1 + 0.05088741000477499*x1**2 - 0.0050588218204818125*x1**3 + 0.00020460014656852933*x1**4 + 0.5000096465898518)/(x1 + 0.002565665678988434*x1**2 + 0.1027500398484492*x1**3)', 1, [0.5, 3]);
    expect(approximation.nrmse!).toBeLessThan(1e-6);
    expect(approximation).toMatchObject({ exact: true, law: false });
    // The truth's decimals are the numbers written: 1.2 is 6/5.
    expect(await ask('1.2*x1 + x2', '6*x1/5 + x2', 2)).toMatchObject({ exact: true, law: true });
    // A constant off in its ninth digit is exact to the bench's 1e-6, not the law.
    expect(await ask('x1*x2', '1.000000005*x1*x2', 2)).toMatchObject({ exact: true, law: false });
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
