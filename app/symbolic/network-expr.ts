/**
 * A fully symbolic network (Kan or MultKan) as formula-algebra expressions in raw input units: every edge becomes
 * c * f(a*u + b) + d with f's library template, sum nodes add their edges, product nodes multiply their two subnodes,
 * and the inputs undo the standardisation the model was trained under (x_std = (x - mean) / std).
 *
 * The trees are composed as they stand (no folding); simplifyExpr and refitConstants take it from there.
 */
import type { Standardizer } from '../data/standardize';
import type { Kan } from '../kan/model';
import { MultKan } from '../kan/mult';
import { type Expr, constant } from './algebra/expr';
import { fromMathNode } from './algebra/mathnode';
import { type LibraryFunction, resolveSymbolicFunction } from './library';
import { symbolicMath } from './math';

/** One expression per model output, in raw units of the inputs; variable i is model input i. */
export function multKanToExprs(model: Kan | MultKan, standardizer: Standardizer | null, inputNames?: readonly string[], custom: readonly LibraryFunction[] = []): Expr[] {
  const multCounts = model instanceof MultKan ? model.multCounts : model.layers.map(() => 0).concat(0);
  const numeric: string[] = [];
  const templates = new Map<string, Expr>();
  let nodes = inputExprs(model.nIn, standardizer, inputNames);
  model.layers.forEach((layer, l) => {
    const terms: Expr[][] = Array.from({ length: layer.nOut }, () => []);
    for (let i = 0; i < layer.nIn; i++) {
      for (let j = 0; j < layer.nOut; j++) {
        const e = i * layer.nOut + j;
        if (layer.mask[e] !== 0) numeric.push(`${l}.${i}.${j}`);
        const sym = layer.symFns[e];
        if (layer.symMask[e] === 0 || !sym) continue;
        const template = templateOf(sym.name, sym as Partial<LibraryFunction>, custom, templates, `${l}.${i}.${j}`);
        const p = model.params.subarray(layer.symOffset + 4 * e, layer.symOffset + 4 * e + 4);
        const scale = layer.symMask[e]!;
        const arg = sum([product([constant(p[0]!), nodes[i]!]), constant(p[1]!)]);
        terms[j]!.push(sum([product([constant(scale * p[2]!), substitute(template, arg)]), constant(scale * p[3]!)]));
      }
    }
    const subnodes = terms.map(sum);
    const mults = multCounts[l + 1]!;
    const nSum = layer.nOut - 2 * mults;
    nodes = subnodes.slice(0, nSum);
    for (let m = 0; m < mults; m++) nodes.push(product([subnodes[nSum + 2 * m]!, subnodes[nSum + 2 * m + 1]!]));
  });
  if (numeric.length > 0) {
    throw new Error(`the model still has ${numeric.length} numeric edge${numeric.length > 1 ? 's' : ''} (${numeric.join(', ')}), so it has no closed form; make them symbolic (setSymbolic, fixSymbolic or autoSymbolic) or prune them first`);
  }
  return nodes;
}

/** The expression of a single-output model (see multKanToExprs). */
export function multKanToExpr(model: Kan | MultKan, standardizer: Standardizer | null, inputNames?: readonly string[], custom: readonly LibraryFunction[] = []): Expr {
  if (model.nOut !== 1) throw new Error(`multKanToExpr composes a single-output model, this one has ${model.nOut} outputs; use multKanToExprs for one expression per output`);
  return multKanToExprs(model, standardizer, inputNames, custom)[0]!;
}

/** Input i in standardised units as an expression in raw input i: (x_i - mean) / std, or x_i where it was not standardised. */
function inputExprs(nIn: number, standardizer: Standardizer | null, inputNames: readonly string[] | undefined): Expr[] {
  if (inputNames !== undefined && inputNames.length !== nIn) throw new Error(`${inputNames.length} input names given for a model with ${nIn} inputs`);
  if (standardizer && inputNames === undefined && standardizer.columns.length !== nIn) {
    throw new Error(`the standardiser has ${standardizer.columns.length} columns but the model ${nIn} inputs; pass the input names to match them by name`);
  }
  return Array.from({ length: nIn }, (_, i) => {
    const x: Expr = { kind: 'var', index: i };
    const k = !standardizer ? -1 : inputNames === undefined ? i : standardizer.columns.indexOf(inputNames[i]!);
    if (k < 0) return x;
    const mean = standardizer!.mean[k]!;
    const std = standardizer!.std[k]!;
    return sum([product([constant(1 / std), x]), constant(-mean / std)]);
  });
}

/** f's math.js template as an expression in variable 0, parsed once per function name. */
function templateOf(name: string, fn: Partial<LibraryFunction>, custom: readonly LibraryFunction[], cache: Map<string, Expr>, edge: string): Expr {
  const known = cache.get(name);
  if (known) return known;
  const expression = typeof fn.expression === 'string' ? fn.expression : resolveSymbolicFunction(name, custom)?.expression;
  if (expression === undefined) throw new Error(`edge ${edge} uses the symbolic function "${name}", which is not in the library; pass it as a custom function`);
  const template = fromMathNode(symbolicMath().parse(expression), ['x']);
  cache.set(name, template);
  return template;
}

/** e with variable 0 replaced by arg. */
function substitute(e: Expr, arg: Expr): Expr {
  switch (e.kind) {
    case 'const':
      return e;
    case 'var':
      return arg;
    case 'add':
      return { kind: 'add', terms: e.terms.map((t) => substitute(t, arg)) };
    case 'mul':
      return { kind: 'mul', factors: e.factors.map((f) => substitute(f, arg)) };
    case 'pow':
      return { kind: 'pow', base: substitute(e.base, arg), exponent: substitute(e.exponent, arg) };
    case 'fn':
      return { kind: 'fn', name: e.name, arg: substitute(e.arg, arg) };
  }
}

function sum(terms: Expr[]): Expr {
  if (terms.length === 0) return constant(0);
  return terms.length === 1 ? terms[0]! : { kind: 'add', terms };
}

function product(factors: Expr[]): Expr {
  return factors.length === 1 ? factors[0]! : { kind: 'mul', factors };
}
