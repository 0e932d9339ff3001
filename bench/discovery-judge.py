"""Judges discovered formulas against the truth for the discovery benchmark, by SymPy, one JSON request per line.

Request (one line):  {"id", "truth", "found", "variables": ["x1", ...], "ranges": [[lo, hi], ...], "points", "seed"}
  truth: in the formula-dataset syntax (^ is a power, e is Euler's number); found: a formula report's `python` string.
Reply (one line):    {"id", "nrmse", "exact", "law", "close", "complexity", "truthComplexity", "error"}
  nrmse = RMSE(found - truth) / std(truth) on `points` fresh uniform points of the ranges (numpy, seeded);
  exact: nrmse < 1e-6, close: nrmse < 1e-2; complexity = number of nodes of SymPy's expression tree.
  law: exact, and equal to the truth as a formula: with each decimal constant replaced by the simple number it stands
  for (the shortest nsimplify finds within 1e-9: a rational, or one with pi or e), found - truth is zero to 1e-25 of
  the truth at LAW_POINTS rational points of the ranges, evaluated with 50 digits. A ratio of polynomials that follows exp(x) to 1e-8 over the ranges is exact
  but not the law; a law whose constant did not snap (0.0225158 for 2/(9*pi^2)) is the law only where nsimplify finds
  that number.
A formula that does not parse, leaves numeric edges (phi_...) or is undefined somewhere on the ranges is reported with
an error and nrmse null; the process carries on with the next line.
"""
import json
import sys

import numpy as np
import sympy
from sympy.core.function import AppliedUndef

EXACT = 1e-6
CLOSE = 1e-2
LAW_POINTS = 5
LAW_DIGITS = 50
LAW_TOLERANCE = 1e-25

# The formula-dataset syntax's names that SymPy spells differently (app/data/formula.ts lists them).
DATASET_NAMES = {
    'e': sympy.E, 'pi': sympy.pi, 'ln': sympy.log, 'log10': lambda x: sympy.log(x, 10), 'log2': lambda x: sympy.log(x, 2),
    'arcsin': sympy.asin, 'arccos': sympy.acos, 'arctan': sympy.atan, 'arcsinh': sympy.asinh, 'arccosh': sympy.acosh,
    'arctanh': sympy.atanh, 'abs': sympy.Abs, 'sign': sympy.sign, 'min': sympy.Min, 'max': sympy.Max, 'pow': sympy.Pow,
}


def node_count(expr):
    return sum(1 for _ in sympy.preorder_traversal(expr))


def values(expr, symbols, points):
    with np.errstate(all='ignore'):
        out = sympy.lambdify(symbols, expr, modules='numpy')(*points)
    return np.broadcast_to(np.asarray(out, dtype=complex), points[0].shape)


def simplest_number(value):
    """The shortest of the numbers nsimplify finds for a decimal (a rational, or one with pi or e) within 1e-9 of it."""
    target = float(value)
    found = []
    for constants in ([], [sympy.pi], [sympy.E]):
        try:
            candidate = sympy.nsimplify(value, constants, tolerance=1e-9 * max(abs(target), 1e-300))
        except (TypeError, ValueError, RecursionError):
            continue
        if candidate.is_number and abs(float(candidate) - target) <= 1e-9 * abs(target):
            found.append(candidate)
    return min(found, key=lambda c: len(str(c))) if found else value


def is_law(found, truth, symbols, ranges, rng):
    """found equals truth once its decimals are the numbers they stand for: zero difference at rational points, in 50 digits."""
    exact_found = found.xreplace({f: simplest_number(f) for f in found.atoms(sympy.Float)})
    difference = exact_found - truth
    for _ in range(LAW_POINTS):
        at = {s: sympy.Rational(str(round(rng.uniform(lo, hi), 6))) for s, (lo, hi) in zip(symbols, ranges)}
        scale = abs(sympy.N(truth.subs(at), LAW_DIGITS))
        gap = abs(sympy.N(difference.subs(at), LAW_DIGITS))
        if not (gap.is_number and scale.is_number) or not gap <= LAW_TOLERANCE * max(scale, 1):
            return False
    return True


def judge(request):
    symbols = [sympy.Symbol(name) for name in request['variables']]
    by_name = {s.name: s for s in symbols}
    # The truth's decimals are the numbers written (1.2 is 6/5), as the law check needs them exact.
    truth = sympy.sympify(request['truth'], locals={**DATASET_NAMES, **by_name}, convert_xor=True, rational=True)
    reply = {'id': request['id'], 'nrmse': None, 'exact': False, 'law': False, 'close': False, 'complexity': None,
             'truthComplexity': node_count(truth), 'error': None}
    try:
        found = sympy.sympify(request['found'], locals=by_name)
    except (sympy.SympifyError, SyntaxError, TypeError, ValueError) as error:
        reply['error'] = f'does not parse: {type(error).__name__}'
        return reply
    reply['complexity'] = node_count(found)
    numeric_edges = sorted(str(f.func) for f in found.atoms(AppliedUndef))
    if numeric_edges:
        reply['error'] = f'numeric edges {", ".join(numeric_edges)}'
        return reply
    unknown = sorted(str(s) for s in found.free_symbols - set(symbols))
    if unknown:
        reply['error'] = f'unknown symbols {", ".join(unknown)}'
        return reply
    rng = np.random.default_rng(request['seed'])
    points = [rng.uniform(lo, hi, request['points']) for lo, hi in request['ranges']]
    y_true = values(truth, symbols, points).real
    y_found = values(found, symbols, points)
    # A complex value means the formula left its domain (sqrt or log of a negative number): undefined there.
    undefined = ~np.isfinite(y_found) | (np.abs(y_found.imag) > 0)
    if undefined.any():
        reply['error'] = f'undefined at {int(undefined.sum())} of {len(undefined)} points'
        return reply
    nrmse = float(np.sqrt(np.mean((y_found.real - y_true) ** 2)) / np.std(y_true))
    exact = nrmse < EXACT
    law = exact and is_law(found, truth, symbols, request['ranges'], rng)
    reply.update(nrmse=nrmse, exact=exact, law=law, close=nrmse < CLOSE)
    return reply


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = judge(request)
        except Exception as error:  # one bad formula must not end the run: report it and read the next line
            reply = {'id': request.get('id'), 'nrmse': None, 'exact': False, 'law': False, 'close': False, 'complexity': None,
                     'truthComplexity': None, 'error': f'{type(error).__name__}: {error}'[:300]}
        print(json.dumps(reply), flush=True)


if __name__ == '__main__':
    main()
