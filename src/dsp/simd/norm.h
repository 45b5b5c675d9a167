// Training's passes over activations channel by channel, included by kernels.c: batch
// normalisation's gradient and forward pass (src/model/wasm-norm.ts) and sums over the axes before
// the channels (src/model/wasm-reductions.ts). Same arithmetic, in the same order, as the code they
// replace (JavaScript loops; tfjs-backend-wasm's FusedBatchNorm), so the results are the same bits:
// each lane a column (a channel), summed in the loop's order.
#ifndef SE_NORM_H
#define SE_NORM_H
#include <wasm_simd128.h>

// The upper two floats of a vector as float64.
static inline v128_t promote_high(v128_t v) {
  return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3));
}

// Two f64x2 vectors rounded to float32, as one vector (lo's two lanes first): promote_high's inverse.
static inline v128_t demote_pair(v128_t lo, v128_t hi) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// For `rows` rows of c channels (channels innermost): dx = (dy · r) · s in float32, and, per
// channel, dy and dy · (x − mean) added in float64, row after row, to the sums already in sum_dy
// and sum_dyxm (a caller goes through the rows in chunks that stay in cache). x − mean is rounded to
// float32 first; its product with dy is exact in float64. Four channels at a time through all rows,
// their sums in registers.
__attribute__((export_name("batch_norm_grad_f32")))
void batch_norm_grad_f32(int rows, int c, const float *x, const float *g, const float *mean, const float *r,
                         const float *s, float *dx, double *sum_dy, double *sum_dyxm) {
  int k = 0;
  for (; k + 3 < c; k += 4) {
    const v128_t mk = wasm_v128_load(mean + k), rk = wasm_v128_load(r + k), sk = wasm_v128_load(s + k);
    v128_t dy_lo = wasm_v128_load(sum_dy + k), dy_hi = wasm_v128_load(sum_dy + k + 2);
    v128_t xm_lo = wasm_v128_load(sum_dyxm + k), xm_hi = wasm_v128_load(sum_dyxm + k + 2);
    for (int row = 0, at = k; row < rows; row++, at += c) {
      v128_t d = wasm_v128_load(g + at);
      v128_t xm = wasm_f32x4_sub(wasm_v128_load(x + at), mk);
      wasm_v128_store(dx + at, wasm_f32x4_mul(wasm_f32x4_mul(d, rk), sk));
      v128_t dlo = wasm_f64x2_promote_low_f32x4(d), dhi = promote_high(d);
      dy_lo = wasm_f64x2_add(dy_lo, dlo);
      dy_hi = wasm_f64x2_add(dy_hi, dhi);
      xm_lo = wasm_f64x2_add(xm_lo, wasm_f64x2_mul(dlo, wasm_f64x2_promote_low_f32x4(xm)));
      xm_hi = wasm_f64x2_add(xm_hi, wasm_f64x2_mul(dhi, promote_high(xm)));
    }
    wasm_v128_store(sum_dy + k, dy_lo);
    wasm_v128_store(sum_dy + k + 2, dy_hi);
    wasm_v128_store(sum_dyxm + k, xm_lo);
    wasm_v128_store(sum_dyxm + k + 2, xm_hi);
  }
  for (; k < c; k++) {
    double sd = sum_dy[k], sx = sum_dyxm[k];
    for (int row = 0, at = k; row < rows; row++, at += c) {
      float d = g[at];
      float xm = x[at] - mean[k];
      dx[at] = (d * r[k]) * s[k];
      sd += (double)d;
      sx += (double)d * (double)xm;
    }
    sum_dy[k] = sd;
    sum_dyxm[k] = sx;
  }
}

// Sums down the columns of `rows` rows of `inner` floats (x[row][j]), as reduceMiddle in
// src/model/wasm-reductions.ts sums them in JavaScript, with the same bits: in blocks of `block`
// rows, per column two float64 running sums (the block's even rows, its odd rows), their sum then
// added to acc[j]. `rows` is a whole number of blocks but for the last (a caller goes through a
// reduction in chunks of blocks, acc carried over).
__attribute__((export_name("reduce_rows_f32")))
void reduce_rows_f32(int rows, int inner, int block, const float *x, double *acc) {
  for (int r0 = 0; r0 < rows; r0 += block) {
    const int n = rows - r0 < block ? rows - r0 : block;
    const float *xb = x + (long)r0 * inner;
    int j = 0;
    for (; j + 3 < inner; j += 4) {
      v128_t e_lo = wasm_f64x2_splat(0), e_hi = e_lo, o_lo = e_lo, o_hi = e_lo;
      int r = 0;
      for (; r + 1 < n; r += 2) {
        v128_t a = wasm_v128_load(xb + r * inner + j), b = wasm_v128_load(xb + (r + 1) * inner + j);
        e_lo = wasm_f64x2_add(e_lo, wasm_f64x2_promote_low_f32x4(a));
        e_hi = wasm_f64x2_add(e_hi, promote_high(a));
        o_lo = wasm_f64x2_add(o_lo, wasm_f64x2_promote_low_f32x4(b));
        o_hi = wasm_f64x2_add(o_hi, promote_high(b));
      }
      if (r < n) {
        v128_t a = wasm_v128_load(xb + r * inner + j);
        e_lo = wasm_f64x2_add(e_lo, wasm_f64x2_promote_low_f32x4(a));
        e_hi = wasm_f64x2_add(e_hi, promote_high(a));
      }
      wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), wasm_f64x2_add(e_lo, o_lo)));
      wasm_v128_store(acc + j + 2, wasm_f64x2_add(wasm_v128_load(acc + j + 2), wasm_f64x2_add(e_hi, o_hi)));
    }
    for (; j < inner; j++) {
      double e = 0, o = 0;
      int r = 0;
      for (; r + 1 < n; r += 2) {
        e += (double)xb[r * inner + j];
        o += (double)xb[(r + 1) * inner + j];
      }
      if (r < n) e += (double)xb[r * inner + j];
      acc[j] += e + o;
    }
  }
}

// Batch normalisation in the forward pass, as tfjs-backend-wasm 4.22's FusedBatchNorm computes it
// (read from its compiled code): t = (x − mean) · scale in float32, then offset + t / nf in float64,
// rounded once to float32, nf = √(var + ε) in float32, per channel, over `rows` rows of c channels
// (channels innermost). The same bits, four channels per vector.
__attribute__((export_name("batch_norm_f32")))
void batch_norm_f32(int rows, int c, const float *x, const float *mean, const float *scale, const float *nf,
                    const float *offset, float *out) {
  for (int row = 0; row < rows; row++) {
    const float *xr = x + row * c;
    float *o = out + row * c;
    int k = 0;
    for (; k + 3 < c; k += 4) {
      v128_t t = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + k), wasm_v128_load(mean + k)),
                                wasm_v128_load(scale + k));
      v128_t n = wasm_v128_load(nf + k), off = wasm_v128_load(offset + k);
      v128_t lo = wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(off),
                                 wasm_f64x2_div(wasm_f64x2_promote_low_f32x4(t), wasm_f64x2_promote_low_f32x4(n)));
      v128_t hi = wasm_f64x2_add(promote_high(off), wasm_f64x2_div(promote_high(t), promote_high(n)));
      wasm_v128_store(o + k, demote_pair(lo, hi));
    }
    for (; k < c; k++) o[k] = (float)((double)offset[k] + (double)((xr[k] - mean[k]) * scale[k]) / (double)nf[k]);
  }
}
#endif
