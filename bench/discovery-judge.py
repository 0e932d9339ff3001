"""Judges discovered formulas against the truth for the discovery benchmark, by SymPy, one JSON request per line.

Request (one line):  {"id", "truth", "found", "variables": ["x1", ...], "ranges": [[lo, hi], ...], "points", "seed"}
  truth: in the formula-dataset syntax (^ is a power, e is Euler's number); found: a formula report's `python` string.
Reply (one line):    {"id", "nrmse", "exact", "close", "complexity", "truthComplexity", "error"}
  nrmse = RMSE(found - truth) / std(truth) on `points` fresh uniform points of the ranges (numpy, seeded);
  exact: nrmse < 1e-6, close: nrmse < 1e-2; complexity = number of nodes of SymPy's expression tree.
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


def judge(request):
    symbols = [sympy.Symbol(name) for name in request['variables']]
    by_name = {s.name: s for s in symbols}
    truth = sympy.sympify(request['truth'], locals={**DATASET_NAMES, **by_name}, convert_xor=True)
    reply = {'id': request['id'], 'nrmse': None, 'exact': False, 'close': False, 'complexity': None,
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
    reply.update(nrmse=nrmse, exact=nrmse < EXACT, close=nrmse < CLOSE)
    return reply


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            reply = judge(request)
        except Exception as error:  # one bad formula must not end the run: report it and read the next line
            reply = {'id': request.get('id'), 'nrmse': None, 'exact': False, 'close': False, 'complexity': None,
                     'truthComplexity': None, 'error': f'{type(error).__name__}: {error}'[:300]}
        print(json.dumps(reply), flush=True)


if __name__ == '__main__':
    main()
