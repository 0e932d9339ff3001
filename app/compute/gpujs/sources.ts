/**
 * Source text of the gpu.js kernels of one KAN layer, generated for its geometry (sizes baked in as literals, the
 * Cox–de Boor triangle unrolled for its order k): every kernel computes one output cell by gathering, so it runs on
 * every gpu.js mode (GLSL, WGSL, WebAssembly, JavaScript). Text rather than functions so that no bundler or minifier
 * can change what gpu.js parses.
 *
 * Per chunk of `rows` samples (the host splits batches so that no array exceeds what a float index addresses exactly):
 *   table [rows][nIn][W], W = 2(k+1) + 3: [start, B_0..B_k, B'_0..B'_k, b(x), b'(x)] per cell; beyond the grid the bases
 *   are their tangents at its nearer end, as in app/kan/bspline.ts.
 *   coef [nIn][nOut][nb], knots [nIn][G+4k+1] (layout of app/kan/layer.ts), float32.
 *   edge [3][nIn][nOut]: w_b, w_s and mask of every edge in one array, because WebGPU's default limit is 8 storage
 *   buffers per kernel (its output included), and the backward kernels would otherwise need 9.
 *   reg [nIn][nOut]: regCoef_e / n (the regulariser's d(objective)/d|phi_e| per sample), only in the withReg variants.
 */

export interface LayerGeometry {
  nIn: number;
  nOut: number;
  G: number;
  k: number;
  /** 0 silu, 1 identity, 2 zero. */
  baseKind: number;
}

export function tableWidth(k: number): number {
  return 2 * (k + 1) + 3;
}

const f = (value: number): string => (Number.isInteger(value) ? `${value}.0` : String(value));

/** Expressions reading w_b, w_s and the mask of edge `e` from the packed edge array. */
function edgeTerms(g: LayerGeometry): { wb: string; ws: string; mask: string } {
  const edges = g.nIn * g.nOut;
  return { wb: 'edge[e]', ws: `edge[${edges} + e]`, mask: `edge[${2 * edges} + e]` };
}

/** Where a basis row starts in the table and the base columns. */
function columns(k: number): { values: number; derivs: number; base: number; baseDeriv: number } {
  return { values: 1, derivs: 2 + k, base: 2 * (k + 1) + 1, baseDeriv: 2 * (k + 1) + 2 };
}

/** table [rows][nIn][W] from x [rows][nIn] and the knots. */
export function basisSource(g: LayerGeometry): string {
  const { nIn, G, k, baseKind } = g;
  const W = tableWidth(k);
  const cols = columns(k);
  const knotLen = G + 4 * k + 1;
  const searchSteps = Math.ceil(Math.log2(Math.max(G, 2))) + 1;
  const lines: string[] = [];
  for (let r = 0; r <= k; r++) lines.push(`    let N${r} = ${r === 0 ? '1.0' : '0.0'};`);
  for (let r = 0; r < Math.max(k, 1); r++) lines.push(`    let P${r} = ${k === 1 ? '1.0' : '0.0'};`);
  lines.push('    let saved = 0.0;', '    let temp = 0.0;');
  for (let j = 1; j <= k; j++) {
    lines.push(`    const L${j} = u - knots[t + ${1 - j}];`, `    const R${j} = knots[t + ${j}] - u;`, '    saved = 0.0;');
    for (let r = 0; r < j; r++) {
      lines.push(`    temp = N${r} / (R${r + 1} + L${j - r});`, `    N${r} = saved + R${r + 1} * temp;`, `    saved = L${j - r} * temp;`);
    }
    lines.push(`    N${j} = saved;`);
    if (j === k - 1) for (let r = 0; r < k; r++) lines.push(`    P${r} = N${r};`);
  }
  const picks: string[] = [`if (col == 0) { result = lo - ${f(k)}; }`];
  const slopes: string[] = [];
  for (let r = 0; r <= k; r++) {
    const up = r >= 1 ? `P${r - 1} / (knots[t + ${r}] - knots[t + ${r - k}])` : '0.0';
    const down = r <= k - 1 ? `P${r} / (knots[t + ${r + 1}] - knots[t + ${r + 1 - k}])` : '0.0';
    slopes.push(`${f(k)} * (${up} - ${down})`);
  }
  for (let r = 0; r <= k; r++) picks.push(`if (col == ${cols.values + r}) { result = N${r} + dx * (${slopes[r]}); }`);
  for (let r = 0; r <= k; r++) picks.push(`if (col == ${cols.derivs + r}) { result = ${slopes[r]}; }`);
  const baseValue = baseKind === 0 ? 'v / (1.0 + Math.exp(-v))' : baseKind === 1 ? 'v' : '0.0';
  const baseDeriv = baseKind === 0 ? '(1.0 / (1.0 + Math.exp(-v))) * (1.0 + v * (1.0 - 1.0 / (1.0 + Math.exp(-v))))' : baseKind === 1 ? '1.0' : '0.0';
  return `function (xs, knots) {
  const idx = this.thread.x;
  const cell = Math.floor(idx / ${W});
  const col = idx - cell * ${W};
  const i = cell - Math.floor(cell / ${nIn}) * ${nIn};
  const v = xs[cell];
  const first = i * ${knotLen} + ${k};
  let result = 0.0;
  if (col == ${cols.base}) {
    result = ${baseValue};
  } else if (col == ${cols.baseDeriv}) {
    result = ${baseDeriv};
  } else {
    const u = Math.min(Math.max(v, knots[first + ${k}]), knots[first + ${k + G}]);
    const dx = v - u;
    let lo = ${f(k)};
    let hi = ${f(G + k)};
    for (let step = 0; step < ${searchSteps}; step++) {
      if (hi - lo > 1.0) {
        const mid = Math.floor((lo + hi) / 2.0);
        if (knots[first + mid] <= u) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
    }
    const t = first + lo;
${lines.join('\n')}
    ${picks.join('\n    ')}
  }
  return result;
}`;
}

/** Statements that set `spline` (and `splineDeriv` when withDeriv) of edge `e` at table row `row`. */
function splineStatements(g: LayerGeometry, withDeriv: boolean, indent: string): string {
  const nb = g.G + g.k;
  const cols = columns(g.k);
  const lines = [
    'let spline = 0.0;',
    ...(withDeriv ? ['let splineDeriv = 0.0;'] : []),
    'const start = table[row];',
    'if (start > -1000.0) {',
    `  for (let q = 0; q < ${g.k + 1}; q++) {`,
    '    const basisIndex = start + q;',
    `    if (basisIndex >= 0.0 && basisIndex < ${f(nb)}) {`,
    `      const c = coef[e * ${nb} + basisIndex];`,
    `      spline += c * table[row + ${cols.values} + q];`,
    ...(withDeriv ? [`      splineDeriv += c * table[row + ${cols.derivs} + q];`] : []),
    '    }',
    '  }',
    '}',
  ];
  return lines.map((line) => indent + line).join('\n');
}

/** Statements that set `g`, d(objective)/d(phi_e) of sample s, for an active edge with spline value `spline`. */
function edgeGradientStatements(g: LayerGeometry, withReg: boolean, indent: string): string {
  const cols = columns(g.k);
  const t = edgeTerms(g);
  const lines = [`let grad = gy[s * ${g.nOut} + j] * mk;`];
  if (withReg) {
    lines.push(
      `const phi = ${t.wb} * table[row + ${cols.base}] + ${t.ws} * spline;`,
      'if (phi > 0.0) {',
      '  grad += reg[e];',
      '} else if (phi < 0.0) {',
      '  grad -= reg[e];',
      '}',
    );
  }
  return lines.map((line) => indent + line).join('\n');
}

/** y [rows][nOut]. */
export function forwardSource(g: LayerGeometry): string {
  const W = tableWidth(g.k);
  const t = edgeTerms(g);
  const cols = columns(g.k);
  return `function (table, coef, edge) {
  const idx = this.thread.x;
  const s = Math.floor(idx / ${g.nOut});
  const j = idx - s * ${g.nOut};
  let acc = 0.0;
  for (let i = 0; i < ${g.nIn}; i++) {
    const e = i * ${g.nOut} + j;
    const mk = ${t.mask};
    if (mk != 0.0) {
      const row = (s * ${g.nIn} + i) * ${W};
${splineStatements(g, false, '      ')}
      acc += mk * (${t.wb} * table[row + ${cols.base}] + ${t.ws} * spline);
    }
  }
  return acc;
}`;
}

/** previous [nIn][nOut] + sum over the chunk's rows of |phi_e| (active edges). */
export function edgeAbsSource(g: LayerGeometry, rows: number): string {
  const W = tableWidth(g.k);
  const t = edgeTerms(g);
  const cols = columns(g.k);
  return `function (table, coef, edge, previous) {
  const e = this.thread.x;
  const i = Math.floor(e / ${g.nOut});
  let acc = 0.0;
  const mk = ${t.mask};
  if (mk != 0.0) {
    for (let s = 0; s < ${rows}; s++) {
      const row = (s * ${g.nIn} + i) * ${W};
${splineStatements(g, false, '      ')}
      acc += Math.abs(${t.wb} * table[row + ${cols.base}] + ${t.ws} * spline);
    }
  }
  return previous[e] + acc;
}`;
}

/** gx [rows][nIn] = sum_j g_e * phi_e'(x). */
export function inputGradientSource(g: LayerGeometry, withReg: boolean): string {
  const W = tableWidth(g.k);
  const t = edgeTerms(g);
  const cols = columns(g.k);
  const args = withReg ? 'table, coef, edge, gy, reg' : 'table, coef, edge, gy';
  return `function (${args}) {
  const cell = this.thread.x;
  const s = Math.floor(cell / ${g.nIn});
  const i = cell - s * ${g.nIn};
  const row = cell * ${W};
  const db = table[row + ${cols.baseDeriv}];
  let acc = 0.0;
  for (let j = 0; j < ${g.nOut}; j++) {
    const e = i * ${g.nOut} + j;
    const mk = ${t.mask};
    if (mk != 0.0) {
${splineStatements(g, true, '      ')}
${edgeGradientStatements(g, withReg, '      ')}
      acc += grad * (${t.wb} * db + ${t.ws} * splineDeriv);
    }
  }
  return acc;
}`;
}

/** previous + [d/d w_b [nIn][nOut], d/d w_s [nIn][nOut]] summed over the chunk's rows. */
export function scaleGradientSource(g: LayerGeometry, rows: number, withReg: boolean): string {
  const W = tableWidth(g.k);
  const t = edgeTerms(g);
  const cols = columns(g.k);
  const edges = g.nIn * g.nOut;
  const args = withReg ? 'table, coef, edge, gy, reg, previous' : 'table, coef, edge, gy, previous';
  return `function (${args}) {
  const idx = this.thread.x;
  const which = Math.floor(idx / ${edges});
  const e = idx - which * ${edges};
  const i = Math.floor(e / ${g.nOut});
  const j = e - i * ${g.nOut};
  let acc = 0.0;
  const mk = ${t.mask};
  if (mk != 0.0) {
    for (let s = 0; s < ${rows}; s++) {
      const row = (s * ${g.nIn} + i) * ${W};
${splineStatements(g, false, '      ')}
${edgeGradientStatements(g, withReg, '      ')}
      if (which == 0.0) {
        acc += grad * table[row + ${cols.base}];
      } else {
        acc += grad * spline;
      }
    }
  }
  return previous[idx] + acc;
}`;
}

/** previous + d/d coef [nIn][nOut][nb] summed over the chunk's rows: a sample contributes where basis m is active. */
export function coefGradientSource(g: LayerGeometry, rows: number, withReg: boolean): string {
  const W = tableWidth(g.k);
  const t = edgeTerms(g);
  const cols = columns(g.k);
  const nb = g.G + g.k;
  const args = withReg ? 'table, coef, edge, gy, reg, previous' : 'table, coef, edge, gy, previous';
  return `function (${args}) {
  const idx = this.thread.x;
  const e = Math.floor(idx / ${nb});
  const m = idx - e * ${nb};
  const i = Math.floor(e / ${g.nOut});
  const j = e - i * ${g.nOut};
  let acc = 0.0;
  const mk = ${t.mask};
  if (mk != 0.0) {
    for (let s = 0; s < ${rows}; s++) {
      const row = (s * ${g.nIn} + i) * ${W};
      const first = table[row];
      const offset = m - first;
      if (first > -1000.0 && offset >= 0.0 && offset <= ${f(g.k)}) {
${withReg ? splineStatements(g, false, '        ') : ''}
${edgeGradientStatements(g, withReg, '        ')}
        acc += grad * ${t.ws} * table[row + ${cols.values} + offset];
      }
    }
  }
  return previous[idx] + acc;
}`;
}

/** c [rows][cols] = a [rows][inner] . b [inner][cols]. */
export function matmulSource(inner: number, cols: number): string {
  return `function (a, b) {
  const idx = this.thread.x;
  const r = Math.floor(idx / ${cols});
  const col = idx - r * ${cols};
  let acc = 0.0;
  for (let q = 0; q < ${inner}; q++) {
    acc += a[r * ${inner} + q] * b[q * ${cols} + col];
  }
  return acc;
}`;
}

export const COPY_SOURCE = `function (values) {
  return values[this.thread.x];
}`;

export const ZEROS_SOURCE = `function () {
  return 0.0;
}`;
