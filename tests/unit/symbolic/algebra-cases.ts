/**
 * The expressions the formula algebra is judged on (math.js syntax, variables x1..x3 on [1, 5]): the shapes that
 * composing a symbolified KAN produces (exp/log products in disguise, affine maps nested in affine maps, powers a hair
 * off an integer, sums that cancel) with the law each one is, as SymPy reads it.
 */
export interface AlgebraCase {
  input: string;
  /** The law, in the form a person would write it (SymPy syntax). */
  expected: string;
}

export const ALGEBRA_CASES: readonly AlgebraCase[] = [
  { input: '4*exp(log(x1 + 0.25) + log(x2) - 1.3862943611198906) - 0.25*x2', expected: 'x1*x2' },
  { input: 'exp(log(x1) - log(x2) + 0.5)', expected: '1.6487212707001282*x1/x2' },
  { input: 'exp(log(x1) + log(x2) + log(x3))', expected: 'x1*x2*x3' },
  { input: 'exp(2*log(x1) - log(x2))', expected: 'x1**2/x2' },
  { input: 'exp(0.5*log(x1)) * exp(0.5*log(x1))', expected: 'x1' },
  { input: 'x1^2.0000000001 * x2^0.9999999999', expected: 'x1**2*x2' },
  { input: 'sqrt(x1)^2', expected: 'x1' },
  { input: '(x1 + 1)^2 - x1^2 - 2*x1', expected: '1' },
  { input: '(x1 - x2)*(x1 + x2) + x2^2', expected: 'x1**2' },
  { input: '0.5*sin(x1) + 0.3*sin(x1) + 0.2*sin(x1)', expected: 'sin(x1)' },
  { input: '2*(3*(x1 + 1) - 3) / x1', expected: '6' },
  { input: 'x1 / (2*(1 + x2))', expected: 'x1/(2*x2 + 2)' },
  { input: 'x1 / (4*pi*x2^2)', expected: '0.07957747154594767*x1/x2**2' },
  { input: 'exp(log(x1) - log(x2) - 2*log(x3) - log(12.566370614359172))', expected: '0.07957747154594767*x1/(x2*x3**2)' },
  { input: '(x1*x2)^2 / (x1*x2^3)', expected: 'x1/x2' },
  { input: 'exp(sin(pi*x1) + x2^2)', expected: 'exp(sin(pi*x1) + x2**2)' },
  { input: 'log(exp(x1 + x2)) - x2', expected: 'x1' },
  { input: 'exp(x1) * exp(x2) * exp(-x1)', expected: 'exp(x2)' },
  { input: 'sqrt(x1^2 * x2^4)', expected: 'x1*x2**2' },
  { input: '3*(2*(x1 + 0.5) - 1) + 0.5*(4*x2 - 2) + 1', expected: '6*x1 + 2*x2' },
  { input: '(x1 + x2)^3 - x1^3 - x2^3', expected: '3*x1**2*x2 + 3*x1*x2**2' },
  { input: '2*exp(1.5*log(x1))', expected: '2*x1**1.5' },
  { input: 'x1*x2 / (x1*x3) + x2/x3', expected: '2*x2/x3' },
  { input: '(0.5*x1 + 0.5*x1) / (x2 + x2)', expected: 'x1/(2*x2)' },
  { input: 'tanh(2*(0.5*x1 + 0.25) - 0.5)', expected: 'tanh(x1)' },
  { input: 'sqrt(4*x1^2)', expected: '2*x1' },
  { input: 'exp(log(x1^2 + 1) - log(x1^2 + 1) + log(x2))', expected: 'x2' },
  // A phase on a quarter turn, or a quarter turn from a simple number: the other function of the plain argument.
  { input: 'exp(cos(pi*x1 - pi/2) + x2^2)', expected: 'exp(sin(pi*x1) + x2**2)' },
  { input: 'cos(x1 + 3.141592653589793) * x2', expected: '-cos(x1)*x2' },
  { input: '-sin(2*x1 - 0.5707963267948967)', expected: 'cos(2*x1 + 1)' },
  { input: 'sin(x1 + 0.3)', expected: 'sin(x1 + 0.3)' },
  { input: '-sin(-pi*x1^2 - pi*x2^2)/2 + cos(-x3)', expected: 'sin(pi*x1**2 + pi*x2**2)/2 + cos(x3)' },
  // A power with a variable exponent, as a fit of log|y| writes it.
  { input: 'exp(log(x1 + 1)*x2)', expected: '(x1 + 1)**x2' },
  { input: 'exp(2*x2*log(x1) - x3)', expected: 'x1**(2*x2)*exp(-x3)' },
  // A constant factor of a log's argument joins the other constants: log(4/3) - log(4/3) cancels.
  { input: 'log(4*x1*x2/3 + 4/3) - 0.28768207245178096', expected: 'log(x1*x2 + 1)' },
  { input: 'log(2*x1 + 6*x2) - log(x1 + 3*x2)', expected: 'log(2)' },
  // Double angles, where the pair shrinks: an edge fits sin(x)^2 as a shifted cos(2x), two edges square a cosine.
  { input: '-(cos(2*x1) - 1)*x2/2', expected: 'sin(x1)**2*x2' },
  { input: '(1 + cos(2*pi*x1))/2 + x2', expected: 'cos(pi*x1)**2 + x2' },
  { input: '2*cos(pi*x2)^2 + x1 - 1', expected: 'cos(2*pi*x2) + x1' },
  { input: '1 - 2*sin(x1*x2)^2', expected: 'cos(2*x1*x2)' },
  { input: '3*x3*sin(x1)^2 - 1.5*x3', expected: '-3*x3*cos(2*x1)/2' },
  // No smaller: cos(x1) - 1 would be -2*sin(x1/2)^2; and an offset that completes no identity.
  { input: 'cos(x1) - 1', expected: 'cos(x1) - 1' },
  { input: 'cos(2*x1) - 0.5', expected: 'cos(2*x1) - 0.5' },
  // An odd function of a negated argument is the negated function; an even one is the function.
  { input: 'x3 - tanh(-x1/x2)', expected: 'tanh(x1/x2) + x3' },
  { input: 'cosh(-2*x1 + 0*x2) * atan(-x1 - x2)', expected: '-atan(x1 + x2)*cosh(2*x1)' },
  // A negative coefficient goes into the sum beside it, so that a root can leave the radical (a law read through y^2).
  { input: 'sqrt(-1/(x1^2 - 30))*x2', expected: 'x2/sqrt(30 - x1**2)' },
  { input: 'sqrt(-2*exp(x2)/(x1 - 6))', expected: 'sqrt(2)*exp(x2/2)/sqrt(6 - x1)' },
  // Half powers of pi stay exact: a Gaussian's normalisation, a diffusion kernel's.
  { input: 'exp(-x1^2/2) / sqrt(2*pi)', expected: 'exp(-x1**2/2)/sqrt(2*pi)' },
  { input: 'x2 / sqrt(4*pi*x1*x3)', expected: 'x2/(2*sqrt(pi)*sqrt(x1)*sqrt(x3))' },
  // A logistic in log x is a ratio of powers of x: Pagie's x^4/(1 + x^4) as a fitted tanh.
  { input: 'tanh(2*log(x1))/2 + 0.5', expected: '1 - 1/(x1**4 + 1)' },
  { input: 'tanh(-log(x1)/2)', expected: '2/(x1 + 1) - 1' },
];
