/**
 * The equations of the discovery benchmark: every row of the AI Feynman table (Udrescu & Tegmark 2020,
 * FeynmanEquations.csv) with at most three variables, in table order, and the KAN paper's toy formulas that our
 * formula syntax can write. Each formula is ours, written in x1..xn from the table's meaning (x1 is the table's first
 * variable), with the table's sampling range for every variable.
 *
 * The selection rule looks only at the table, never at results. "At most three variables" counts the variables a row
 * lists with ranges, not its "# variables" column, which is wrong in a few rows of the published file (II.37.1 says 6
 * and I.18.12 says 2, both list 3: in; I.18.14, I.38.12 and III.10.19 say 3 but list 4: out).
 * Left out of the KAN toys: J0(20x) (no Bessel function in our syntax) and the 100-variable
 * exp(mean(sin^2(pi*x_i/2))) (too large for a quick benchmark).
 */

export interface DiscoveryEquation {
  /** The table's Filename column ("I.6.2a"), or "toy." and a short name for the KAN paper's toys. */
  id: string;
  source: 'feynman' | 'kan-paper';
  /** In our formula-dataset syntax (app/data/formula.ts), variables x1..xn. */
  formula: string;
  /** The table's variable names, in the order of x1..xn. */
  variables: string[];
  /** [lo, hi] of every variable, in the order of x1..xn. */
  ranges: [number, number][];
}

const r15: [number, number] = [1, 5];
const r13: [number, number] = [1, 3];

function feynman(id: string, formula: string, variables: string[], ranges: [number, number][]): DiscoveryEquation {
  return { id, source: 'feynman', formula, variables, ranges };
}

export const FEYNMAN_EQUATIONS: readonly DiscoveryEquation[] = [
  feynman('I.6.2a', 'exp(-x1^2/2)/sqrt(2*pi)', ['theta'], [r13]),
  feynman('I.6.2', 'exp(-(x2/x1)^2/2)/(sqrt(2*pi)*x1)', ['sigma', 'theta'], [r13, r13]),
  feynman('I.6.2b', 'exp(-((x2-x3)/x1)^2/2)/(sqrt(2*pi)*x1)', ['sigma', 'theta', 'theta1'], [r13, r13, r13]),
  feynman('I.10.7', 'x1/sqrt(1-x2^2/x3^2)', ['m_0', 'v', 'c'], [r15, [1, 2], [3, 10]]),
  feynman('I.12.1', 'x1*x2', ['mu', 'Nn'], [r15, r15]),
  feynman('I.12.4', 'x1/(4*pi*x2*x3^2)', ['q1', 'epsilon', 'r'], [r15, r15, r15]),
  feynman('I.12.5', 'x1*x2', ['q2', 'Ef'], [r15, r15]),
  feynman('I.14.3', 'x1*x2*x3', ['m', 'g', 'z'], [r15, r15, r15]),
  feynman('I.14.4', 'x1*x2^2/2', ['k_spring', 'x'], [r15, r15]),
  feynman('I.15.1', 'x1*x2/sqrt(1-x2^2/x3^2)', ['m_0', 'v', 'c'], [r15, [1, 2], [3, 10]]),
  feynman('I.16.6', '(x3+x2)/(1+x3*x2/x1^2)', ['c', 'v', 'u'], [r15, r15, r15]),
  feynman('I.18.12', 'x1*x2*sin(x3)', ['r', 'F', 'theta'], [r15, r15, [0, 5]]),
  feynman('I.25.13', 'x1/x2', ['q', 'C'], [r15, r15]),
  feynman('I.26.2', 'asin(x1*sin(x2))', ['n', 'theta2'], [[0, 1], r15]),
  feynman('I.27.6', '1/(1/x1+x3/x2)', ['d1', 'd2', 'n'], [r15, r15, r15]),
  feynman('I.29.4', 'x1/x2', ['omega', 'c'], [[1, 10], [1, 10]]),
  feynman('I.30.3', 'x1*sin(x3*x2/2)^2/sin(x2/2)^2', ['Int_0', 'theta', 'n'], [r15, r15, r15]),
  feynman('I.30.5', 'asin(x1/(x3*x2))', ['lambd', 'd', 'n'], [[1, 2], [2, 5], r15]),
  feynman('I.34.1', 'x3/(1-x2/x1)', ['c', 'v', 'omega_0'], [[3, 10], [1, 2], r15]),
  feynman('I.34.14', 'x3*(1+x2/x1)/sqrt(1-x2^2/x1^2)', ['c', 'v', 'omega_0'], [[3, 10], [1, 2], r15]),
  feynman('I.34.27', 'x1*x2/(2*pi)', ['omega', 'h'], [r15, r15]),
  feynman('I.37.4', 'x1+x2+2*sqrt(x1*x2)*cos(x3)', ['I1', 'I2', 'delta'], [r15, r15, r15]),
  feynman('I.39.1', '3/2*x1*x2', ['pr', 'V'], [r15, r15]),
  feynman('I.39.11', 'x2*x3/(x1-1)', ['gamma', 'pr', 'V'], [[2, 5], r15, r15]),
  feynman('I.43.31', 'x1*x2*x3', ['mob', 'T', 'kb'], [r15, r15, r15]),
  feynman('I.47.23', 'sqrt(x1*x2/x3)', ['gamma', 'pr', 'rho'], [r15, r15, r15]),
  feynman('I.48.2', 'x1*x3^2/sqrt(1-x2^2/x3^2)', ['m', 'v', 'c'], [r15, [1, 2], [3, 10]]),
  feynman('II.3.24', 'x1/(4*pi*x2^2)', ['Pwr', 'r'], [r15, r15]),
  feynman('II.4.23', 'x1/(4*pi*x2*x3)', ['q', 'epsilon', 'r'], [r15, r15, r15]),
  feynman('II.8.7', '3/5*x1^2/(4*pi*x2*x3)', ['q', 'epsilon', 'd'], [r15, r15, r15]),
  feynman('II.8.31', 'x1*x2^2/2', ['epsilon', 'Ef'], [r15, r15]),
  feynman('II.10.9', 'x1/(x2*(1+x3))', ['sigma_den', 'epsilon', 'chi'], [r15, r15, r15]),
  feynman('II.11.28', '1+x1*x2/(1-x1*x2/3)', ['n', 'alpha'], [[0, 1], [0, 1]]),
  feynman('II.13.23', 'x1/sqrt(1-x2^2/x3^2)', ['rho_c_0', 'v', 'c'], [r15, [1, 2], [3, 10]]),
  feynman('II.13.34', 'x1*x2/sqrt(1-x2^2/x3^2)', ['rho_c_0', 'v', 'c'], [r15, [1, 2], [3, 10]]),
  feynman('II.15.4', '-x1*x2*cos(x3)', ['mom', 'B', 'theta'], [r15, r15, r15]),
  feynman('II.15.5', '-x1*x2*cos(x3)', ['p_d', 'Ef', 'theta'], [r15, r15, r15]),
  feynman('II.24.17', 'sqrt(x1^2/x2^2-pi^2/x3^2)', ['omega', 'c', 'd'], [[4, 6], [1, 2], [2, 4]]),
  feynman('II.27.16', 'x1*x2*x3^2', ['epsilon', 'c', 'Ef'], [r15, r15, r15]),
  feynman('II.27.18', 'x1*x2^2', ['epsilon', 'Ef'], [r15, r15]),
  feynman('II.34.2a', 'x1*x2/(2*pi*x3)', ['q', 'v', 'r'], [r15, r15, r15]),
  feynman('II.34.2', 'x1*x2*x3/2', ['q', 'v', 'r'], [r15, r15, r15]),
  feynman('II.34.29a', 'x1*x2/(4*pi*x3)', ['q', 'h', 'm'], [r15, r15, r15]),
  feynman('II.37.1', 'x1*x2*(1+x3)', ['mom', 'B', 'chi'], [r15, r15, r15]),
  feynman('II.38.14', 'x1/(2*(1+x2))', ['Y', 'sigma'], [r15, r15]),
  feynman('III.7.38', '4*pi*x1*x2/x3', ['mom', 'B', 'h'], [r15, r15, r15]),
  feynman('III.8.54', 'sin(2*pi*x1*x2/x3)^2', ['E_n', 't', 'h'], [[1, 2], [1, 2], [1, 4]]),
  feynman('III.12.43', 'x1*x2/(2*pi)', ['n', 'h'], [r15, r15]),
  feynman('III.15.12', '2*x1*(1-cos(x2*x3))', ['U', 'k', 'd'], [r15, r15, r15]),
  feynman('III.15.14', 'x1^2/(8*pi^2*x2*x3^2)', ['h', 'E_n', 'd'], [r15, r15, r15]),
  feynman('III.15.27', '2*pi*x1/(x2*x3)', ['alpha', 'n', 'd'], [r15, r15, r15]),
  feynman('III.17.37', 'x1*(1+x2*cos(x3))', ['beta', 'alpha', 'theta'], [r15, r15, r15]),
];

/** The toys of the KAN paper's first experiment (its Figure 3.1), on the paper's domain [-1, 1]. */
export const KAN_TOY_EQUATIONS: readonly DiscoveryEquation[] = [
  { id: 'toy.exp-sin', source: 'kan-paper', formula: 'exp(sin(pi*x1)+x2^2)', variables: ['x', 'y'], ranges: [[-1, 1], [-1, 1]] },
  { id: 'toy.xy', source: 'kan-paper', formula: 'x1*x2', variables: ['x', 'y'], ranges: [[-1, 1], [-1, 1]] },
  {
    id: 'toy.4d',
    source: 'kan-paper',
    formula: 'exp((sin(pi*(x1^2+x2^2))+sin(pi*(x3^2+x4^2)))/2)',
    variables: ['x1', 'x2', 'x3', 'x4'],
    ranges: [[-1, 1], [-1, 1], [-1, 1], [-1, 1]],
  },
];

export const DISCOVERY_EQUATIONS: readonly DiscoveryEquation[] = [...FEYNMAN_EQUATIONS, ...KAN_TOY_EQUATIONS];
