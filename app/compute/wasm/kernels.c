/*
 * The hot loops of the cubic (k = 3), unmasked KAN layer kernels of app/kan/layer.ts, in C compiled to WebAssembly
 * with 128-bit SIMD (two float64 lanes): forwardCubicColumn, backwardCubicColumnPairs, inputGradientCubicColumnPairs
 * and backwardCubicColumn. Same arguments, same layouts, same sample order and pairing as the TypeScript versions
 * (read their comments there); arrays are byte addresses in the module's memory, 0 standing for null. Also a dense
 * matmul for the MLP baseline.
 *
 * Element-wise updates (y, edge magnitudes, gradient rows) add in the same order as the TypeScript code and give the
 * same bits; the sums over outputs (input gradients) run in two lanes and differ from it by rounding only.
 *
 * Build: node scripts/build-wasm.mjs (clang 14+ with wasm-ld); the result is embedded in kernels-wasm.ts.
 */
#include <stdint.h>
#include <wasm_simd128.h>

typedef v128_t f2;
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store((p), (v))
#define SPLAT(x) wasm_f64x2_splat(x)
#define ADD(a, b) wasm_f64x2_add((a), (b))
#define MUL(a, b) wasm_f64x2_mul((a), (b))

/* Math.sign: 1, -1, or the value itself (+0, -0, NaN). */
static inline double sign1(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : v); }
static inline f2 sign2(f2 v) {
  const f2 zero = SPLAT(0.0);
  f2 neg = wasm_v128_bitselect(SPLAT(-1.0), v, wasm_f64x2_lt(v, zero));
  return wasm_v128_bitselect(SPLAT(1.0), neg, wasm_f64x2_gt(v, zero));
}
static inline double fabs1(double v) { return __builtin_fabs(v); }
static inline double hsum(f2 v) { return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1); }

/* phi = b * wb + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3, left to right as in TypeScript. */
#define PHI(b, wb, v0, v1, v2, v3, x0, x1, x2, x3) (((((b) * (wb) + (v0) * (x0)) + (v1) * (x1)) + (v2) * (x2)) + (v3) * (x3))
#define PHI2(b, wb, v0, v1, v2, v3, x0, x1, x2, x3) \
  (ADD(ADD(ADD(ADD(MUL(b, wb), MUL(v0, x0)), MUL(v1, x1)), MUL(v2, x2)), MUL(v3, x3)))

__attribute__((export_name("forward_cubic")))
void forward_cubic(int nOut, int n, int cell0, const int32_t *rows, const double *values, const double *bases,
                   const int32_t *order, const double *wb, const double *weights, double *y, double *absSum) {
  if (nOut == 1) {
    const double w = wb[0];
    double sum = 0;
    for (int s = 0; s < n; s++) {
      const int cell = cell0 + s;
      const double *x = weights + rows[cell];
      const double *v = values + 4 * cell;
      const double phi = PHI(bases[cell], w, v[0], v[1], v[2], v[3], x[0], x[1], x[2], x[3]);
      y[s] += phi;
      sum += fabs1(phi);
    }
    if (absSum) absSum[0] += sum;
    return;
  }
  int q = 0;
  while (q < n) {
    const int s1 = order ? order[cell0 + q] : q;
    const int c1 = cell0 + s1;
    const int row = rows[c1];
    const double *w0 = weights + row * nOut, *w1 = w0 + nOut, *w2 = w1 + nOut, *w3 = w2 + nOut;
    const double b1 = bases[c1];
    const double *v1 = values + 4 * c1;
    double *y1 = y + s1 * nOut;
    const int s2 = q + 1 < n ? (order ? order[cell0 + q + 1] : q + 1) : -1;
    if (s2 >= 0 && rows[cell0 + s2] == row) {
      const int c2 = cell0 + s2;
      const double b2 = bases[c2];
      const double *v2 = values + 4 * c2;
      double *y2 = y + s2 * nOut;
      const f2 B1 = SPLAT(b1), A0 = SPLAT(v1[0]), A1 = SPLAT(v1[1]), A2 = SPLAT(v1[2]), A3 = SPLAT(v1[3]);
      const f2 B2 = SPLAT(b2), C0 = SPLAT(v2[0]), C1 = SPLAT(v2[1]), C2 = SPLAT(v2[2]), C3 = SPLAT(v2[3]);
      int j = 0;
      for (; j + 2 <= nOut; j += 2) {
        const f2 wbj = LD(wb + j), x0 = LD(w0 + j), x1 = LD(w1 + j), x2 = LD(w2 + j), x3 = LD(w3 + j);
        const f2 p1 = PHI2(B1, wbj, A0, A1, A2, A3, x0, x1, x2, x3);
        const f2 p2 = PHI2(B2, wbj, C0, C1, C2, C3, x0, x1, x2, x3);
        ST(y1 + j, ADD(LD(y1 + j), p1));
        ST(y2 + j, ADD(LD(y2 + j), p2));
        if (absSum) ST(absSum + j, ADD(LD(absSum + j), ADD(wasm_f64x2_abs(p1), wasm_f64x2_abs(p2))));
      }
      for (; j < nOut; j++) {
        const double p1 = PHI(b1, wb[j], v1[0], v1[1], v1[2], v1[3], w0[j], w1[j], w2[j], w3[j]);
        const double p2 = PHI(b2, wb[j], v2[0], v2[1], v2[2], v2[3], w0[j], w1[j], w2[j], w3[j]);
        y1[j] += p1;
        y2[j] += p2;
        if (absSum) absSum[j] += fabs1(p1) + fabs1(p2);
      }
      q += 2;
    } else {
      const f2 B1 = SPLAT(b1), A0 = SPLAT(v1[0]), A1 = SPLAT(v1[1]), A2 = SPLAT(v1[2]), A3 = SPLAT(v1[3]);
      int j = 0;
      for (; j + 2 <= nOut; j += 2) {
        const f2 p1 = PHI2(B1, LD(wb + j), A0, A1, A2, A3, LD(w0 + j), LD(w1 + j), LD(w2 + j), LD(w3 + j));
        ST(y1 + j, ADD(LD(y1 + j), p1));
        if (absSum) ST(absSum + j, ADD(LD(absSum + j), wasm_f64x2_abs(p1)));
      }
      for (; j < nOut; j++) {
        const double p1 = PHI(b1, wb[j], v1[0], v1[1], v1[2], v1[3], w0[j], w1[j], w2[j], w3[j]);
        y1[j] += p1;
        if (absSum) absSum[j] += fabs1(p1);
      }
      q += 1;
    }
  }
}

__attribute__((export_name("backward_cubic_pairs")))
void backward_cubic_pairs(int nOut, int n, int cell0, const int32_t *rows, const double *values, const double *bases,
                          const int32_t *order, const double *wb, const double *weights, const double *gy,
                          const double *regRow, double *gradWeights, double *gradBase, double *gradRows) {
  if (nOut == 1) {
    const double w = wb[0];
    const double reg = regRow ? regRow[0] : 0;
    double sumBase = 0;
    for (int s = 0; s < n; s++) {
      const int cell = cell0 + s;
      const int r = rows[cell];
      const double *x = weights + r;
      const double *v = values + 4 * cell;
      const double b = bases[cell];
      double g = gy[s];
      if (regRow) g += reg * sign1(PHI(b, w, v[0], v[1], v[2], v[3], x[0], x[1], x[2], x[3]));
      sumBase += g * b;
      gradWeights[r] += g * v[0];
      gradWeights[r + 1] += g * v[1];
      gradWeights[r + 2] += g * v[2];
      gradWeights[r + 3] += g * v[3];
    }
    gradBase[0] += sumBase;
    return;
  }
  int q = 0;
  while (q < n) {
    const int s1 = order ? order[cell0 + q] : q;
    const int c1 = cell0 + s1;
    const int row = rows[c1];
    const double *w0 = weights + row * nOut, *w1 = w0 + nOut, *w2 = w1 + nOut, *w3 = w2 + nOut;
    double *d0 = gradWeights + row * nOut, *d1 = d0 + nOut, *d2 = d1 + nOut, *d3 = d2 + nOut;
    const double b1 = bases[c1];
    const double *v1 = values + 4 * c1;
    const int s2 = q + 1 < n ? (order ? order[cell0 + q + 1] : q + 1) : -1;
    if (s2 >= 0 && rows[cell0 + s2] == row) {
      const int c2 = cell0 + s2;
      const double b2 = bases[c2];
      const double *v2 = values + 4 * c2;
      const double *ga = gy + s1 * nOut;
      const double *gb = gy + s2 * nOut;
      const f2 B1 = SPLAT(b1), A0 = SPLAT(v1[0]), A1 = SPLAT(v1[1]), A2 = SPLAT(v1[2]), A3 = SPLAT(v1[3]);
      const f2 B2 = SPLAT(b2), C0 = SPLAT(v2[0]), C1 = SPLAT(v2[1]), C2 = SPLAT(v2[2]), C3 = SPLAT(v2[3]);
      if (regRow) {
        int j = 0;
        for (; j + 2 <= nOut; j += 2) {
          const f2 wbj = LD(wb + j), x0 = LD(w0 + j), x1 = LD(w1 + j), x2 = LD(w2 + j), x3 = LD(w3 + j), reg = LD(regRow + j);
          ST(gradRows + j, ADD(LD(ga + j), MUL(reg, sign2(PHI2(B1, wbj, A0, A1, A2, A3, x0, x1, x2, x3)))));
          ST(gradRows + nOut + j, ADD(LD(gb + j), MUL(reg, sign2(PHI2(B2, wbj, C0, C1, C2, C3, x0, x1, x2, x3)))));
        }
        for (; j < nOut; j++) {
          gradRows[j] = ga[j] + regRow[j] * sign1(PHI(b1, wb[j], v1[0], v1[1], v1[2], v1[3], w0[j], w1[j], w2[j], w3[j]));
          gradRows[nOut + j] = gb[j] + regRow[j] * sign1(PHI(b2, wb[j], v2[0], v2[1], v2[2], v2[3], w0[j], w1[j], w2[j], w3[j]));
        }
        ga = gradRows;
        gb = gradRows + nOut;
      }
      int j = 0;
      for (; j + 2 <= nOut; j += 2) {
        const f2 a = LD(ga + j), b = LD(gb + j);
        ST(gradBase + j, ADD(LD(gradBase + j), ADD(MUL(a, B1), MUL(b, B2))));
        ST(d0 + j, ADD(LD(d0 + j), ADD(MUL(a, A0), MUL(b, C0))));
        ST(d1 + j, ADD(LD(d1 + j), ADD(MUL(a, A1), MUL(b, C1))));
        ST(d2 + j, ADD(LD(d2 + j), ADD(MUL(a, A2), MUL(b, C2))));
        ST(d3 + j, ADD(LD(d3 + j), ADD(MUL(a, A3), MUL(b, C3))));
      }
      for (; j < nOut; j++) {
        const double a = ga[j], b = gb[j];
        gradBase[j] += a * b1 + b * b2;
        d0[j] += a * v1[0] + b * v2[0];
        d1[j] += a * v1[1] + b * v2[1];
        d2[j] += a * v1[2] + b * v2[2];
        d3[j] += a * v1[3] + b * v2[3];
      }
      q += 2;
    } else {
      const double *g1 = gy + s1 * nOut;
      const f2 B1 = SPLAT(b1), A0 = SPLAT(v1[0]), A1 = SPLAT(v1[1]), A2 = SPLAT(v1[2]), A3 = SPLAT(v1[3]);
      int j = 0;
      for (; j + 2 <= nOut; j += 2) {
        f2 a = LD(g1 + j);
        if (regRow) a = ADD(a, MUL(LD(regRow + j), sign2(PHI2(B1, LD(wb + j), A0, A1, A2, A3, LD(w0 + j), LD(w1 + j), LD(w2 + j), LD(w3 + j)))));
        ST(gradBase + j, ADD(LD(gradBase + j), MUL(a, B1)));
        ST(d0 + j, ADD(LD(d0 + j), MUL(a, A0)));
        ST(d1 + j, ADD(LD(d1 + j), MUL(a, A1)));
        ST(d2 + j, ADD(LD(d2 + j), MUL(a, A2)));
        ST(d3 + j, ADD(LD(d3 + j), MUL(a, A3)));
      }
      for (; j < nOut; j++) {
        double a = g1[j];
        if (regRow) a += regRow[j] * sign1(PHI(b1, wb[j], v1[0], v1[1], v1[2], v1[3], w0[j], w1[j], w2[j], w3[j]));
        gradBase[j] += a * b1;
        d0[j] += a * v1[0];
        d1[j] += a * v1[1];
        d2[j] += a * v1[2];
        d3[j] += a * v1[3];
      }
      q += 1;
    }
  }
}

/* Five sums over outputs of g[j] * (wb, x0..x3)[j], two lanes then the tail. */
#define DOTS_DECL(p) f2 p##b = SPLAT(0.0), p##0 = SPLAT(0.0), p##1 = SPLAT(0.0), p##2 = SPLAT(0.0), p##3 = SPLAT(0.0)

__attribute__((export_name("input_gradient_cubic_pairs")))
void input_gradient_cubic_pairs(int nOut, int n, int cell0, int i, int nIn, const int32_t *rows, const double *derivs,
                                const double *baseDerivs, const int32_t *order, const double *wb, const double *weights,
                                const double *gy, double *gx) {
  int q = 0;
  while (q < n) {
    const int s1 = order[cell0 + q];
    const int c1 = cell0 + s1;
    const int row = rows[c1];
    const double *w0 = weights + row * nOut, *w1 = w0 + nOut, *w2 = w1 + nOut, *w3 = w2 + nOut;
    const double *g1 = gy + s1 * nOut;
    const double *e1 = derivs + 4 * c1;
    const int s2 = q + 1 < n ? order[cell0 + q + 1] : -1;
    if (s2 >= 0 && rows[cell0 + s2] == row) {
      const int c2 = cell0 + s2;
      const double *g2 = gy + s2 * nOut;
      const double *e2 = derivs + 4 * c2;
      DOTS_DECL(a);
      DOTS_DECL(b);
      int j = 0;
      for (; j + 2 <= nOut; j += 2) {
        const f2 wbj = LD(wb + j), x0 = LD(w0 + j), x1 = LD(w1 + j), x2 = LD(w2 + j), x3 = LD(w3 + j);
        const f2 ga = LD(g1 + j), gb = LD(g2 + j);
        ab = ADD(ab, MUL(ga, wbj)); a0 = ADD(a0, MUL(ga, x0)); a1 = ADD(a1, MUL(ga, x1)); a2 = ADD(a2, MUL(ga, x2)); a3 = ADD(a3, MUL(ga, x3));
        bb = ADD(bb, MUL(gb, wbj)); b0 = ADD(b0, MUL(gb, x0)); b1 = ADD(b1, MUL(gb, x1)); b2 = ADD(b2, MUL(gb, x2)); b3 = ADD(b3, MUL(gb, x3));
      }
      double sab = hsum(ab), sa0 = hsum(a0), sa1 = hsum(a1), sa2 = hsum(a2), sa3 = hsum(a3);
      double sbb = hsum(bb), sb0 = hsum(b0), sb1 = hsum(b1), sb2 = hsum(b2), sb3 = hsum(b3);
      for (; j < nOut; j++) {
        const double ga = g1[j], gb = g2[j];
        sab += ga * wb[j]; sa0 += ga * w0[j]; sa1 += ga * w1[j]; sa2 += ga * w2[j]; sa3 += ga * w3[j];
        sbb += gb * wb[j]; sb0 += gb * w0[j]; sb1 += gb * w1[j]; sb2 += gb * w2[j]; sb3 += gb * w3[j];
      }
      gx[s1 * nIn + i] = PHI(baseDerivs[c1], sab, e1[0], e1[1], e1[2], e1[3], sa0, sa1, sa2, sa3);
      gx[s2 * nIn + i] = PHI(baseDerivs[c2], sbb, e2[0], e2[1], e2[2], e2[3], sb0, sb1, sb2, sb3);
      q += 2;
    } else {
      DOTS_DECL(a);
      int j = 0;
      for (; j + 2 <= nOut; j += 2) {
        const f2 ga = LD(g1 + j);
        ab = ADD(ab, MUL(ga, LD(wb + j))); a0 = ADD(a0, MUL(ga, LD(w0 + j))); a1 = ADD(a1, MUL(ga, LD(w1 + j)));
        a2 = ADD(a2, MUL(ga, LD(w2 + j))); a3 = ADD(a3, MUL(ga, LD(w3 + j)));
      }
      double sab = hsum(ab), sa0 = hsum(a0), sa1 = hsum(a1), sa2 = hsum(a2), sa3 = hsum(a3);
      for (; j < nOut; j++) {
        const double ga = g1[j];
        sab += ga * wb[j]; sa0 += ga * w0[j]; sa1 += ga * w1[j]; sa2 += ga * w2[j]; sa3 += ga * w3[j];
      }
      gx[s1 * nIn + i] = PHI(baseDerivs[c1], sab, e1[0], e1[1], e1[2], e1[3], sa0, sa1, sa2, sa3);
      q += 1;
    }
  }
}

__attribute__((export_name("backward_cubic")))
void backward_cubic(int nOut, int n, int cell0, int i, int nIn, const int32_t *rows, const double *values,
                    const double *derivs, const double *bases, const double *baseDerivs, const double *wb,
                    const double *weights, const double *gy, const double *regRow, double *gradWeights,
                    double *gradBase, double *gx) {
  if (nOut == 1) {
    const double w = wb[0];
    const double reg = regRow ? regRow[0] : 0;
    double sumBase = 0;
    for (int s = 0; s < n; s++) {
      const int cell = cell0 + s;
      const double b = bases[cell];
      const int r = rows[cell];
      const double *x = weights + r;
      const double *v = values + 4 * cell;
      const double *e = derivs + 4 * cell;
      double g = gy[s];
      if (regRow) g += reg * sign1(PHI(b, w, v[0], v[1], v[2], v[3], x[0], x[1], x[2], x[3]));
      sumBase += g * b;
      gradWeights[r] += g * v[0];
      gradWeights[r + 1] += g * v[1];
      gradWeights[r + 2] += g * v[2];
      gradWeights[r + 3] += g * v[3];
      if (gx) gx[s * nIn + i] = g * PHI(baseDerivs[cell], w, e[0], e[1], e[2], e[3], x[0], x[1], x[2], x[3]);
    }
    gradBase[0] += sumBase;
    return;
  }
  for (int s = 0; s < n; s++) {
    const int cell = cell0 + s;
    const double b = bases[cell];
    const double *v = values + 4 * cell;
    const int row = rows[cell];
    const double *w0 = weights + row * nOut, *w1 = w0 + nOut, *w2 = w1 + nOut, *w3 = w2 + nOut;
    double *d0 = gradWeights + row * nOut, *d1 = d0 + nOut, *d2 = d1 + nOut, *d3 = d2 + nOut;
    const double *g1 = gy + s * nOut;
    const f2 B = SPLAT(b), V0 = SPLAT(v[0]), V1 = SPLAT(v[1]), V2 = SPLAT(v[2]), V3 = SPLAT(v[3]);
    DOTS_DECL(a);
    int j = 0;
    for (; j + 2 <= nOut; j += 2) {
      const f2 wbj = LD(wb + j), x0 = LD(w0 + j), x1 = LD(w1 + j), x2 = LD(w2 + j), x3 = LD(w3 + j);
      f2 g = LD(g1 + j);
      if (regRow) g = ADD(g, MUL(LD(regRow + j), sign2(PHI2(B, wbj, V0, V1, V2, V3, x0, x1, x2, x3))));
      ab = ADD(ab, MUL(g, wbj)); a0 = ADD(a0, MUL(g, x0)); a1 = ADD(a1, MUL(g, x1)); a2 = ADD(a2, MUL(g, x2)); a3 = ADD(a3, MUL(g, x3));
      ST(gradBase + j, ADD(LD(gradBase + j), MUL(g, B)));
      ST(d0 + j, ADD(LD(d0 + j), MUL(g, V0)));
      ST(d1 + j, ADD(LD(d1 + j), MUL(g, V1)));
      ST(d2 + j, ADD(LD(d2 + j), MUL(g, V2)));
      ST(d3 + j, ADD(LD(d3 + j), MUL(g, V3)));
    }
    double sab = hsum(ab), sa0 = hsum(a0), sa1 = hsum(a1), sa2 = hsum(a2), sa3 = hsum(a3);
    for (; j < nOut; j++) {
      double g = g1[j];
      if (regRow) g += regRow[j] * sign1(PHI(b, wb[j], v[0], v[1], v[2], v[3], w0[j], w1[j], w2[j], w3[j]));
      sab += g * wb[j]; sa0 += g * w0[j]; sa1 += g * w1[j]; sa2 += g * w2[j]; sa3 += g * w3[j];
      gradBase[j] += g * b;
      d0[j] += g * v[0];
      d1[j] += g * v[1];
      d2[j] += g * v[2];
      d3[j] += g * v[3];
    }
    if (gx) {
      const double *e = derivs + 4 * cell;
      gx[s * nIn + i] = PHI(baseDerivs[cell], sab, e[0], e[1], e[2], e[3], sa0, sa1, sa2, sa3);
    }
  }
}

/*
 * c [rows][cols] = a [rows][inner] . b [inner][cols] (the MLP's dense products): blocks of four rows by four columns
 * kept in eight two-lane accumulators while k runs over inner; the edges of the matrix column by column.
 */
__attribute__((export_name("matmul")))
void matmul(int rows, int inner, int cols, const double *a, const double *b, double *c) {
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const double *a0 = a + r * inner, *a1 = a0 + inner, *a2 = a1 + inner, *a3 = a2 + inner;
    int col = 0;
    for (; col + 4 <= cols; col += 4) {
      f2 c00 = SPLAT(0.0), c01 = SPLAT(0.0), c10 = SPLAT(0.0), c11 = SPLAT(0.0);
      f2 c20 = SPLAT(0.0), c21 = SPLAT(0.0), c30 = SPLAT(0.0), c31 = SPLAT(0.0);
      for (int k = 0; k < inner; k++) {
        const double *bk = b + k * cols + col;
        const f2 b0 = LD(bk), b1 = LD(bk + 2);
        const f2 x0 = SPLAT(a0[k]), x1 = SPLAT(a1[k]), x2 = SPLAT(a2[k]), x3 = SPLAT(a3[k]);
        c00 = ADD(c00, MUL(x0, b0)); c01 = ADD(c01, MUL(x0, b1));
        c10 = ADD(c10, MUL(x1, b0)); c11 = ADD(c11, MUL(x1, b1));
        c20 = ADD(c20, MUL(x2, b0)); c21 = ADD(c21, MUL(x2, b1));
        c30 = ADD(c30, MUL(x3, b0)); c31 = ADD(c31, MUL(x3, b1));
      }
      double *o = c + r * cols + col;
      ST(o, c00); ST(o + 2, c01);
      ST(o + cols, c10); ST(o + cols + 2, c11);
      ST(o + 2 * cols, c20); ST(o + 2 * cols + 2, c21);
      ST(o + 3 * cols, c30); ST(o + 3 * cols + 2, c31);
    }
    for (; col < cols; col++) {
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int k = 0; k < inner; k++) {
        const double v = b[k * cols + col];
        s0 += a0[k] * v; s1 += a1[k] * v; s2 += a2[k] * v; s3 += a3[k] * v;
      }
      c[r * cols + col] = s0; c[(r + 1) * cols + col] = s1; c[(r + 2) * cols + col] = s2; c[(r + 3) * cols + col] = s3;
    }
  }
  for (; r < rows; r++) {
    const double *ar = a + r * inner;
    double *o = c + r * cols;
    for (int col = 0; col < cols; col++) o[col] = 0;
    for (int k = 0; k < inner; k++) {
      const double v = ar[k];
      const double *bk = b + k * cols;
      for (int col = 0; col < cols; col++) o[col] += v * bk[col];
    }
  }
}
