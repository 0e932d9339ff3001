/**
 * A normal form for formula trees: sums of coefficient * monomial with like terms collected, products of base^exponent
 * with constants folded, exp/log collapsed into products and powers, products and powers of sums expanded where that is
 * no larger or lets a sum's terms cancel (never beyond MAX_EXPANDED_TERMS terms), and rational functions kept as
 * numerator * denominator^-1.
 * Built bottom-up from smart constructors (sum, product, power, apply) that each assume normalised children. A rule
 * only fires where it keeps the value wherever the input is defined (log(u^2) is not 2*log(u); (u^2)^0.5 is |u|).
 */
import { type Expr, type FnName, FUNCTIONS, complexity, constant, exactConst, exprKey } from './expr';
import { addConst, multiplyConst, powerConst } from './exact';

type Const = Extract<Expr, { kind: 'const' }>;

/** Products of sums expand only while the result has at most this many terms, so expansion cannot blow up. */
export const MAX_EXPANDED_TERMS = 64;
/** Like terms whose coefficients sum to less than this fraction of the largest of them cancel (rounding noise). */
const CANCEL_RELATIVE = 1e-12;
/** Exponents this close (relative) to an integer or half-integer are that number. */
const EXPONENT_SNAP = 1e-6;
/** Coefficients this close (relative) to p/q with q <= 12 are p/q (constant folding leaves 1.0000000000000002). */
const COEFFICIENT_SNAP = 1e-13;

const ONE = exactConst(1, 1) as Const;
const ZERO = exactConst(0, 1) as Const;
const MINUS_ONE = exactConst(-1, 1) as Const;

/**
 * Products of one term from each sum that one call may form in all, counted over every expansion (each of which is held
 * to MAX_EXPANDED_TERMS): a composition of quadratics nested five deep, as a noisy fit composes, expanded level by
 * level and normalised again at every level, took 40 s. Past the budget, products of sums stay factored.
 */
const EXPANSION_BUDGET = 20_000;
let expansionsLeft = EXPANSION_BUDGET;
let budgetDepth = 0;

export function simplifyExpr(e: Expr): Expr {
  return withExpansionBudget(() => {
    // A second pass catches what a rewrite exposes to a rule that fired earlier higher up (rarely needed, cheap).
    const once = simplifyOnce(e);
    const twice = simplifyOnce(once);
    return exprKey(twice) === exprKey(once) ? once : simplifyOnce(twice);
  });
}

/** Runs an outermost call with a fresh expansion budget (a nested call shares its caller's). */
function withExpansionBudget(run: () => Expr): Expr {
  if (budgetDepth === 0) expansionsLeft = EXPANSION_BUDGET;
  budgetDepth++;
  try {
    return run();
  } finally {
    budgetDepth--;
  }
}

/**
 * simplifyExpr with every product and positive integer power of sums multiplied out (while the result has at most
 * MAX_EXPANDED_TERMS terms): a polynomial's constants then enter linearly, so refitConstants solves for them in one
 * step, where on a product of sums (a composed product node) it crawls along the valleys of redundant scalings.
 */
export function expandExpr(e: Expr): Expr {
  return withExpansionBudget(() => expandOnce(simplifyExpr(e)));
}

function expandOnce(e: Expr): Expr {
  switch (e.kind) {
    case 'const':
    case 'var':
      return e;
    case 'add':
      return sum(e.terms.map(expandOnce));
    case 'mul':
      return product(e.factors.map(expandOnce), true);
    case 'pow':
      return power(expandOnce(e.base), expandOnce(e.exponent), true);
    case 'fn':
      return apply(e.name, expandOnce(e.arg));
  }
}

function simplifyOnce(e: Expr): Expr {
  switch (e.kind) {
    case 'const':
    case 'var':
      return e;
    case 'add':
      return sum(e.terms.map(simplifyOnce));
    case 'mul':
      return product(e.factors.map(simplifyOnce));
    case 'pow':
      return power(simplifyOnce(e.base), simplifyOnce(e.exponent));
    case 'fn':
      return apply(e.name, simplifyOnce(e.arg));
  }
}

const isConst = (e: Expr): e is Const => e.kind === 'const';
const isInteger = (v: number): boolean => Number.isInteger(v);
const isEvenInteger = (v: number): boolean => Number.isInteger(v) && v % 2 === 0;

/** A term as coefficient * rest (rest null for a constant term). */
function splitCoefficient(term: Expr): { coef: Const; rest: Expr | null } {
  if (isConst(term)) return { coef: term, rest: null };
  if (term.kind === 'mul' && isConst(term.factors[0]!)) {
    const rest = term.factors.slice(1);
    return { coef: term.factors[0], rest: rest.length === 1 ? rest[0]! : { kind: 'mul', factors: rest } };
  }
  return { coef: ONE, rest: term };
}

function withCoefficient(coef: Const, rest: Expr | null): Expr {
  if (rest === null) return coef;
  if (coef.value === 1) return rest;
  return { kind: 'mul', factors: [coef, ...(rest.kind === 'mul' ? rest.factors : [rest])] };
}

function snapCoefficient(c: Const): Const {
  if (c.exact !== undefined) return c;
  const near = nearRational(c.value);
  return near === undefined ? c : (constant(near) as Const);
}

/** The fraction p/q (q <= 12, p nonzero) within rounding of v, if any. */
function nearRational(v: number): number | undefined {
  if (!Number.isFinite(v) || v === 0) return undefined;
  for (let q = 1; q <= 12; q++) {
    const p = Math.round(v * q);
    if (p !== 0 && Math.abs(v - p / q) <= COEFFICIENT_SNAP * Math.abs(v)) return p / q;
  }
  return undefined;
}

function snapExponent(a: Const): Const {
  if (a.exact !== undefined) return a;
  const half = Math.round(2 * a.value) / 2;
  if (Math.abs(a.value - half) <= EXPONENT_SNAP * Math.max(1, Math.abs(half))) return (exactConst(2 * half, 2) as Const | undefined) ?? a;
  return a;
}

/** True where the value is >= 0 (or undefined) at every point. */
function isNonNegative(e: Expr): boolean {
  switch (e.kind) {
    case 'const':
      return e.value >= 0;
    case 'pow':
      return isConst(e.exponent) && (isEvenInteger(e.exponent.value) || !isInteger(e.exponent.value) || isNonNegative(e.base));
    case 'fn':
      return e.name === 'exp' || e.name === 'abs' || e.name === 'sqrt' || e.name === 'cosh';
    case 'mul':
      return e.factors.every(isNonNegative);
    default:
      return false;
  }
}

/** True where the value is > 0 at every point where it is defined and nonzero: exp, and powers with a non-integer exponent. */
function isPositiveWhereDefined(e: Expr): boolean {
  if (isConst(e)) return e.value > 0;
  if (e.kind === 'fn') return e.name === 'exp';
  return e.kind === 'pow' && isConst(e.exponent) && !isInteger(e.exponent.value);
}

/** The sum of normalised terms, with nested sums flattened, like terms collected and terms over one denominator joined. */
function sum(terms: readonly Expr[]): Expr {
  const collected = halveTrigPowers(collectTerms(terms));
  if (collected.kind !== 'add' || !collected.terms.some(hasExpandableFactor)) return collected;
  // Factored terms only cancel against others once expanded ((x+1)^2 - x^2 - 2x); keep the expansion when it is smaller.
  const expanded = collectTerms(collected.terms.map((t) => product([t], true)));
  return complexity(expanded) < complexity(collected) ? expanded : collected;
}

/**
 * The double-angle identities, where they make the sum smaller: c*M*cos(2u) - c*M = -2c*M*sin(u)^2 and
 * c*M*cos(2u) + c*M = 2c*M*cos(u)^2 (a KAN edge fits sin(x)^2 as a shifted cos(2x)), and 2c*M*cos(u)^2 - c*M =
 * c*M*cos(2u), -2c*M*sin(u)^2 + c*M = c*M*cos(2u) (two edges that square a cosine and shift it). M is any monomial
 * (none for a constant term). Each rewrite makes the formula strictly smaller, so they cannot undo one another.
 */
function halveTrigPowers(e: Expr): Expr {
  if (e.kind !== 'add') return e;
  const terms = e.terms;
  const parts = terms.map(splitCoefficient);
  const keys = parts.map((p) => (p.rest === null ? '' : exprKey(p.rest)));
  for (let i = 0; i < terms.length; i++) {
    const factors = parts[i]!.rest === null ? [] : parts[i]!.rest!.kind === 'mul' ? (parts[i]!.rest as Extract<Expr, { kind: 'mul' }>).factors : [parts[i]!.rest!];
    for (let f = 0; f < factors.length; f++) {
      const rewrite = doubleAngle(factors[f]!);
      if (rewrite === null) continue;
      const others = factors.filter((_, q) => q !== f);
      const monomialKey = others.length === 0 ? '' : exprKey(others.length === 1 ? others[0]! : { kind: 'mul', factors: others });
      const c = parts[i]!.coef.value;
      for (let j = 0; j < terms.length; j++) {
        if (j === i || keys[j] !== monomialKey) continue;
        const ratio = parts[j]!.coef.value / c;
        const match = rewrite.find((r) => Math.abs(ratio - r.offset) <= CANCEL_RELATIVE * Math.max(1, Math.abs(ratio)));
        if (match === undefined) continue;
        const replaced = product([constant(c * match.scale), match.expr(), ...others]);
        const rest = terms.filter((_, q) => q !== i && q !== j);
        const next = rest.length === 0 ? replaced : collectTerms([...rest, replaced]);
        if (complexity(next) < complexity(e)) return halveTrigPowers(next);
      }
    }
  }
  return e;
}

/**
 * For a factor cos(v), cos(u)^2 or sin(u)^2: the other terms' coefficient ratios (offset, relative to this term's) that
 * complete a double-angle identity, with what the pair becomes (scale times expr, times the shared monomial).
 */
function doubleAngle(f: Expr): { offset: number; scale: number; expr: () => Expr }[] | null {
  if (f.kind === 'fn' && f.name === 'cos') {
    const half = (): Expr => product([exactConst(1, 2)!, f.arg]);
    return [
      { offset: -1, scale: -2, expr: () => power(apply('sin', half()), exactConst(2, 1)!) },
      { offset: 1, scale: 2, expr: () => power(apply('cos', half()), exactConst(2, 1)!) },
    ];
  }
  if (f.kind === 'pow' && isConst(f.exponent) && f.exponent.value === 2 && f.base.kind === 'fn' && (f.base.name === 'cos' || f.base.name === 'sin')) {
    const { name, arg } = f.base;
    // c cos(u)^2 - c/2 = (c/2) cos(2u) and c sin(u)^2 - c/2 = -(c/2) cos(2u).
    return [{ offset: -0.5, scale: name === 'cos' ? 0.5 : -0.5, expr: () => apply('cos', product([exactConst(2, 1)!, arg])) }];
  }
  return null;
}

/** A product with a sum in it, or a small positive integer power of one. */
function hasExpandableFactor(term: Expr): boolean {
  const factors = term.kind === 'mul' ? term.factors : [term];
  return factors.some((f) => f.kind === 'add' || isPositivePowerOfSum(f));
}

function isPositivePowerOfSum(f: Expr): f is Extract<Expr, { kind: 'pow' }> {
  return f.kind === 'pow' && f.base.kind === 'add' && isConst(f.exponent) && isInteger(f.exponent.value) && f.exponent.value >= 2;
}

function collectTerms(terms: readonly Expr[]): Expr {
  const groups = new Map<string, { rest: Expr | null; coef: Const; scale: number }>();
  const flat = terms.flatMap((t) => (t.kind === 'add' ? t.terms : [t]));
  for (const term of flat) {
    const { coef, rest } = splitCoefficient(term);
    const key = rest === null ? '' : exprKey(rest);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { rest, coef, scale: Math.abs(coef.value) });
    else {
      group.coef = addConst(group.coef, coef);
      group.scale = Math.max(group.scale, Math.abs(coef.value));
    }
  }
  const kept: Expr[] = [];
  for (const { rest, coef, scale } of groups.values()) {
    if (coef.value === 0 || Math.abs(coef.value) <= CANCEL_RELATIVE * scale) continue;
    kept.push(withCoefficient(snapCoefficient(coef), rest));
  }
  const joined = joinDenominators(kept);
  if (joined.length === 0) return ZERO;
  if (joined.length === 1) return joined[0]!;
  return { kind: 'add', terms: sortTerms(joined) };
}

/** An ordering key that sorts a power next to its base, so x1^2*x2 reads in variable order. */
function orderKey(e: Expr): string {
  if (e.kind === 'pow') return `${orderKey(e.base)}^${exprKey(e.exponent)}`;
  if (e.kind === 'mul') return e.factors.map(orderKey).join('*');
  return exprKey(e);
}

/** Constant term last, the rest in order of their monomials. */
function sortTerms(terms: Expr[]): Expr[] {
  const keyed = terms.map((t) => ({ t, key: isConst(t) ? '~' : orderKey(splitCoefficient(t).rest ?? t) }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.t);
}

/** Denominator factors of a term: powers of sums with a negative constant exponent. */
function isDenominator(f: Expr): boolean {
  return f.kind === 'pow' && f.base.kind === 'add' && isConst(f.exponent) && f.exponent.value < 0;
}

/** Terms sharing the same denominator (of sums) become one fraction: a/(1+x) + b/(1+x) = (a + b)/(1+x). */
function joinDenominators(terms: Expr[]): Expr[] {
  const byDenominator = new Map<string, { den: Expr[]; numerators: Expr[] }>();
  const out: Expr[] = [];
  for (const term of terms) {
    const factors = term.kind === 'mul' ? term.factors : [term];
    const den = factors.filter(isDenominator);
    if (den.length === 0) {
      out.push(term);
      continue;
    }
    const key = den.map(exprKey).join('|');
    const numerator = factors.filter((f) => !isDenominator(f));
    const entry = byDenominator.get(key) ?? { den, numerators: [] };
    entry.numerators.push(numerator.length === 0 ? ONE : numerator.length === 1 ? numerator[0]! : { kind: 'mul', factors: numerator });
    byDenominator.set(key, entry);
  }
  for (const { den, numerators } of byDenominator.values()) {
    if (numerators.length === 1) out.push(product([numerators[0]!, ...den]));
    else {
      const joined = product([sum(numerators), ...den]);
      if (joined.kind === 'add') out.push(...joined.terms);
      else out.push(joined);
    }
  }
  return out;
}

/**
 * Every product of one term from each list, each normalised (and fully expanded with expandAll); null when there would
 * be more than MAX_EXPANDED_TERMS.
 */
function distribute(multiplier: readonly Expr[], sums: readonly (readonly Expr[])[], expandAll: boolean): Expr[] | null {
  let combos: Expr[][] = [[...multiplier]];
  for (const terms of sums) {
    if (combos.length * terms.length > MAX_EXPANDED_TERMS) return null;
    combos = combos.flatMap((c) => terms.map((t) => [...c, t]));
  }
  if (combos.length > expansionsLeft) return null;
  expansionsLeft -= combos.length;
  return combos.map((c) => product(c, expandAll));
}

/**
 * The product of normalised factors: constants folded, equal bases' exponents added, exps merged, and sums expanded
 * when that is no larger (always, with expandAll, up to MAX_EXPANDED_TERMS).
 */
function product(factors: readonly Expr[], expandAll = false): Expr {
  let coef = ONE;
  const groups = new Map<string, { base: Expr; exponents: Expr[] }>();
  const expArgs: Expr[] = [];
  const addGroup = (base: Expr, exponent: Expr): void => {
    if (base.kind === 'add' && isConst(exponent)) {
      const content = sumContent(base, exponent.value);
      if (content !== null) {
        coef = multiplyConst(coef, powerConst(content.c, exponent.value));
        base = content.primitive;
      }
    }
    const key = exprKey(base);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { base, exponents: [exponent] });
    else group.exponents.push(exponent);
  };
  const collect = (f: Expr, mergeExp: boolean): void => {
    if (isConst(f)) coef = multiplyConst(coef, f);
    else if (f.kind === 'mul') f.factors.forEach((g) => collect(g, mergeExp));
    else if (f.kind === 'fn' && f.name === 'exp' && mergeExp) expArgs.push(f.arg);
    else if (f.kind === 'pow' && f.base.kind === 'fn' && f.base.name === 'exp' && mergeExp) expArgs.push(product([f.exponent, f.base.arg]));
    else if (f.kind === 'pow') addGroup(f.base, f.exponent);
    else addGroup(f, ONE);
  };
  factors.forEach((f) => collect(f, true));
  // Merged exps are normalised once; what comes back (e^k, powers from collapsed logs, exp of the rest) joins the product.
  if (expArgs.length > 0) collect(apply('exp', sum(expArgs)), false);
  if (coef.value === 0) return ZERO;

  const built: Expr[] = [];
  for (const { base, exponents } of groups.values()) {
    const p = power(base, sum(exponents), expandAll);
    if (isConst(p)) coef = multiplyConst(coef, p);
    else if (p.kind === 'mul') for (const f of p.factors) isConst(f) ? (coef = multiplyConst(coef, f)) : built.push(f);
    else built.push(p);
  }
  if (coef.value === 0) return ZERO;

  const sums = built.filter((f) => f.kind === 'add');
  if (sums.length > 0) {
    const dens = built.filter(isDenominator);
    const rest = built.filter((f) => f.kind !== 'add' && !isDenominator(f));
    const numeratorMultiplier = [coef, ...rest];
    const trivial = sums.length === 1 && rest.length === 0 && coef.value === 1;
    if (!trivial) {
      const expanded = distribute(numeratorMultiplier, sums.map((s) => (s as { terms: Expr[] }).terms), expandAll);
      if (expanded !== null) {
        const candidate = dens.length === 0 ? sum(expanded) : assemble(ONE, [sum(expanded), ...dens]);
        if (expandAll) return candidate;
        const factored = assemble(snapCoefficient(coef), built);
        return complexity(candidate) <= complexity(factored) ? candidate : factored;
      }
    }
  }
  return assemble(snapCoefficient(coef), built);
}

function assemble(coef: Const, factors: Expr[]): Expr {
  const flat = factors.flatMap((f) => (f.kind === 'mul' ? f.factors : [f]));
  const sorted = flat.map((f) => ({ f, key: orderKey(f) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.f);
  if (sorted.length === 0) return coef;
  if (coef.value === 1 && sorted.length === 1) return sorted[0]!;
  return { kind: 'mul', factors: coef.value === 1 ? sorted : [coef, ...sorted] };
}

/** A sum as c * primitive, c the coefficient of its first non-constant term, when pulling c out of ^exponent is valid. */
function sumContent(s: Extract<Expr, { kind: 'add' }>, exponent: number): { c: Const; primitive: Expr } | null {
  const lead = s.terms.find((t) => !isConst(t));
  if (lead === undefined) return null;
  const c = splitCoefficient(lead).coef;
  if (c.value === 1 || c.value === 0 || !Number.isFinite(c.value) || (!isInteger(exponent) && c.value < 0)) return null;
  const inverse = powerConst(c, -1);
  return { c, primitive: sum(s.terms.map((t) => scaleTerm(t, inverse))) };
}

function scaleTerm(t: Expr, factor: Const): Expr {
  const { coef, rest } = splitCoefficient(t);
  return withCoefficient(snapCoefficient(multiplyConst(coef, factor)), rest);
}

/**
 * (c * R * S^k)^a for a non-integer a, a negative coefficient c, factors R that are never negative and one sum S (k odd,
 * 1 for S itself), with the sign moved into the sum: (|c| * R)^a * (-S)^(k*a). sqrt(-1/(x^2 - 1)) is 1/sqrt(1 - x^2);
 * a negative product would otherwise stay whole under the radical (a law read through y^2 comes back so). Equal where
 * either side is defined. Null where the product has no such form.
 */
function signIntoSum(m: Extract<Expr, { kind: 'mul' }>, a: Const): Expr | null {
  const { coef, rest } = splitCoefficient(m);
  if (!(coef.value < 0) || rest === null) return null;
  const factors = rest.kind === 'mul' ? rest.factors : [rest];
  const signed = factors.filter((f) => !isNonNegative(f));
  if (signed.length !== 1) return null;
  const f = signed[0]!;
  const k = f.kind === 'add' ? ONE : f.kind === 'pow' && f.base.kind === 'add' && isConst(f.exponent) && isInteger(f.exponent.value) && !isEvenInteger(f.exponent.value) ? f.exponent : null;
  const s = f.kind === 'add' ? f : f.kind === 'pow' && f.base.kind === 'add' ? f.base : null;
  if (k === null || s === null) return null;
  const negated = sum(s.terms.map((t) => scaleTerm(t, MINUS_ONE)));
  const others = factors.filter((g) => g !== f);
  // Built as a power directly: power() would take the sum's leading -1 back out of it (sumContent).
  const moved: Expr = { kind: 'pow', base: negated, exponent: multiplyConst(k, a) };
  return product([power(withCoefficient(multiplyConst(coef, MINUS_ONE), others.length === 0 ? null : others.length === 1 ? others[0]! : { kind: 'mul', factors: others }), a), moved]);
}

function power(base: Expr, exponent: Expr, expandAll = false): Expr {
  if (!isConst(exponent)) {
    if (isConst(base) && base.value === Math.E) return apply('exp', exponent);
    if (isConst(base) && base.value === 1) return ONE;
    return { kind: 'pow', base, exponent };
  }
  const a = snapExponent(exponent);
  if (a.value === 0) return ONE;
  if (a.value === 1) return base;
  if (isConst(base)) {
    const folded = powerConst(base, a.value);
    return Number.isFinite(folded.value) ? folded : { kind: 'pow', base, exponent: a };
  }
  if (base.kind === 'pow') {
    const inner = base.exponent;
    if (isConst(inner)) {
      const combined = multiplyConst(inner, a);
      if (isInteger(a.value) || !isEvenInteger(inner.value) || isNonNegative(base.base)) return power(base.base, combined);
      return power(apply('abs', base.base), combined);
    }
    if (isInteger(a.value)) return power(base.base, product([inner, a]));
    return { kind: 'pow', base, exponent: a };
  }
  if (base.kind === 'mul') {
    if (isInteger(a.value)) return product(base.factors.map((f) => power(f, a)));
    const moved = signIntoSum(base, a);
    if (moved !== null) return moved;
    const splittable = base.factors.filter(isNonNegative);
    if (splittable.length === 0) return { kind: 'pow', base, exponent: a };
    const others = base.factors.filter((f) => !isNonNegative(f));
    const kept = others.length === 0 ? [] : [others.length === 1 ? power(others[0]!, a) : ({ kind: 'pow', base: { kind: 'mul', factors: others }, exponent: a } as Expr)];
    return product([...splittable.map((f) => power(f, a)), ...kept]);
  }
  if (base.kind === 'add') {
    if (isInteger(a.value) && a.value >= 2) {
      const expanded = distribute([], Array.from({ length: a.value }, () => base.terms), expandAll);
      if (expanded !== null) {
        const candidate = sum(expanded);
        const factored: Expr = { kind: 'pow', base, exponent: a };
        if (expandAll || complexity(candidate) <= complexity(factored)) return candidate;
      }
    }
    const content = sumContent(base, a.value);
    if (content !== null) return product([powerConst(content.c, a.value), power(content.primitive, a)]);
    return { kind: 'pow', base, exponent: a };
  }
  if (base.kind === 'fn' && base.name === 'exp') return apply('exp', product([a, base.arg]));
  if (base.kind === 'fn' && base.name === 'abs' && isEvenInteger(a.value)) return power(base.arg, a);
  return { kind: 'pow', base, exponent: a };
}

function apply(name: FnName, arg: Expr): Expr {
  if (name === 'sqrt') return power(arg, exactConst(1, 2)!);
  if (isConst(arg)) {
    const v = FUNCTIONS[name](arg.value);
    if (Number.isFinite(v)) return constant(v);
  }
  switch (name) {
    case 'exp':
      return collapseExp(arg);
    case 'log':
      return collapseLog(arg);
    case 'abs': {
      if (isNonNegative(arg)) return arg;
      const { coef, rest } = splitCoefficient(arg);
      if (rest !== null && coef.value !== 1) return product([constant(Math.abs(coef.value)), apply('abs', rest)]);
      return { kind: 'fn', name, arg };
    }
    case 'sin':
    case 'cos':
      return shiftQuarterTurns(name, arg);
    case 'tanh': {
      const ratio = tanhOfLog(arg);
      if (ratio) return ratio;
      return evenOdd(name, arg);
    }
    default:
      return ODD.has(name) || EVEN.has(name) ? evenOdd(name, arg) : { kind: 'fn', name, arg };
  }
}

/**
 * tanh(c*log(u)) for a rational c as 1 - 2/(u^(2c) + 1): a fitted logistic in log u is that ratio of powers, and written
 * so it reads as the law, its constant joining the others (tanh(2*log(x))/2 + 1/2 is 1 - 1/(x^4 + 1), Pagie's
 * x^4/(1 + x^4)). Null for any other argument.
 */
function tanhOfLog(arg: Expr): Expr | null {
  const { coef, rest } = splitCoefficient(arg);
  if (rest === null || rest.kind !== 'fn' || rest.name !== 'log' || coef.exact?.basis !== 'one') return null;
  // tanh is odd: a negative c is the negated form of |c|, so that u keeps a positive power.
  const sign = Math.sign(coef.exact.p);
  const exponent = exactConst(2 * Math.abs(coef.exact.p), coef.exact.q);
  if (!exponent || sign === 0) return null;
  return sum([exactConst(sign, 1)!, product([exactConst(-2 * sign, 1)!, power(sum([power(rest.arg, exponent), ONE]), MINUS_ONE)])]);
}

/**
 * sin and cos of u + m*pi/2 as +-sin(u) or +-cos(u): a fitted phase that snaps to a quarter turn is that function of u,
 * and cos(pi*x1 - pi/2) reads sin(pi*x1); an argument with every sign negative loses them (evenOdd).
 */
function shiftQuarterTurns(name: 'sin' | 'cos', arg: Expr): Expr {
  const terms = arg.kind === 'add' ? arg.terms : [arg];
  const phase = terms.find(isConst);
  if (phase === undefined) return evenOdd(name, arg);
  const rest = terms.filter((t) => t !== phase);
  let quarters = Math.round(phase.value / (Math.PI / 2));
  let left: Const = ZERO;
  const onQuarter = quarters !== 0 && (phase.exact !== undefined
    ? phase.exact.basis === 'pi' && (2 * phase.exact.p) % phase.exact.q === 0
    : Math.abs(phase.value - (quarters * Math.PI) / 2) <= CANCEL_RELATIVE * Math.abs(phase.value));
  if (!onQuarter) {
    // A phase a quarter turn or two away from a simple number: sin(2 x - 0.5707963...) is -cos(2 x + 1).
    if (phase.exact !== undefined || nearRational(phase.value) !== undefined) return evenOdd(name, arg);
    const shift = [1, -1, 2, -2].find((k) => nearRational(phase.value - (k * Math.PI) / 2) !== undefined);
    if (shift === undefined) return evenOdd(name, arg);
    quarters = shift;
    left = constant(nearRational(phase.value - (shift * Math.PI) / 2)!) as Const;
  }
  const u = sum(left.value === 0 ? rest : [...rest, left]);
  // sin(u + m pi/2) = sin u, cos u, -sin u, -cos u for m = 0..3 (mod 4); cos(u + m pi/2) = sin(u + (m + 1) pi/2).
  const m = (((quarters + (name === 'cos' ? 1 : 0)) % 4) + 4) % 4;
  const f = evenOdd(m % 2 === 0 ? 'sin' : 'cos', u);
  return m >= 2 ? product([constant(-1), f]) : f;
}

/** sin(-u) = -sin(u) and cos(-u) = cos(u), where every term of the argument has a negative coefficient. */
function evenOdd(name: FnName, arg: Expr): Expr {
  const terms = arg.kind === 'add' ? arg.terms : [arg];
  if (!terms.every((t) => splitCoefficient(t).coef.value < 0)) return { kind: 'fn', name, arg };
  const f: Expr = { kind: 'fn', name, arg: sum(terms.map((t) => scaleTerm(t, MINUS_ONE))) };
  return ODD.has(name) ? product([constant(-1), f]) : f;
}

/** Functions with f(-u) = -f(u), and with f(-u) = f(u): evenOdd takes a negative argument's sign out of them. */
const ODD: ReadonlySet<FnName> = new Set(['sin', 'tan', 'tanh', 'sinh', 'asin', 'atan', 'asinh', 'atanh']);
const EVEN: ReadonlySet<FnName> = new Set(['cos', 'cosh']);

const isLog = (e: Expr): boolean => e.kind === 'fn' && e.name === 'log';

/** exp(a*log(u) + b*log(v) + k + rest) = e^k * u^a * v^b * exp(rest), a and b constants or products without a log. */
function collapseExp(arg: Expr): Expr {
  if (arg.kind === 'fn' && arg.name === 'log') return arg.arg;
  const terms = arg.kind === 'add' ? arg.terms : [arg];
  let k = ZERO;
  const factors: Expr[] = [];
  const rest: Expr[] = [];
  for (const t of terms) {
    const { coef, rest: r } = splitCoefficient(t);
    if (r === null) k = addConst(k, coef);
    else if (r.kind === 'fn' && r.name === 'log') factors.push(power(r.arg, coef));
    else if (r.kind === 'mul' && r.factors.filter(isLog).length === 1) {
      // exp(v * log(u)) = u^v: log u is defined only where u > 0, so the power is too.
      const log = r.factors.find(isLog) as Extract<Expr, { kind: 'fn' }>;
      factors.push(power(log.arg, product([coef, ...r.factors.filter((f) => f !== log)])));
    } else rest.push(t);
  }
  // e^k must stay a finite, nonzero double, or exp(k + rest) would turn into Infinity * exp(rest).
  const scale = Math.exp(k.value);
  if (!(scale > 0 && Number.isFinite(scale))) {
    rest.push(k);
    k = ZERO;
  }
  if (factors.length === 0 && k.value === 0) return { kind: 'fn', name: 'exp', arg };
  const remainder: Expr = rest.length === 0 ? ONE : { kind: 'fn', name: 'exp', arg: sum(rest) };
  return product([constant(Math.exp(k.value)), ...factors, remainder]);
}

/** log(exp u) = u; log(u^a) = a*log(u) for a non-integer or odd a; log of positive factors split off a product. */
function collapseLog(arg: Expr): Expr {
  if (arg.kind === 'fn' && arg.name === 'exp') return arg.arg;
  if (arg.kind === 'pow' && isConst(arg.exponent) && !isEvenInteger(arg.exponent.value)) {
    return product([arg.exponent, collapseLog(arg.base)]);
  }
  if (arg.kind === 'mul') {
    const positive = arg.factors.filter(isPositiveWhereDefined);
    if (positive.length > 0) {
      const others = arg.factors.filter((f) => !isPositiveWhereDefined(f));
      const rest = others.length === 0 ? [] : [others.length === 1 ? collapseLog(others[0]!) : ({ kind: 'fn', name: 'log', arg: { kind: 'mul', factors: others } } as Expr)];
      return sum([...positive.map(collapseLog), ...rest]);
    }
  }
  if (isConst(arg)) return constant(Math.log(arg.value));
  if (arg.kind === 'add') {
    // log(c*u + c*v) = log(c) + log(u + v) for c > 0: the factor joins the formula's other constants, so a fitted
    // log(4*x1*x2/3 + 4/3) - 2/7 reads log(x1*x2 + 1) + 0.0020, whose constant can then snap to nothing.
    const content = sumContent(arg, 0.5);
    if (content !== null) return sum([constant(Math.log(content.c.value)), { kind: 'fn', name: 'log', arg: content.primitive }]);
  }
  return { kind: 'fn', name: 'log', arg };
}
