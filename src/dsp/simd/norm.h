// Batch normalisation's gradient for training (src/model/wasm-norm.ts), included by kernels.c.
// Same arithmetic, in the same order, as the JavaScript loop it replaces (src/model/gradients.ts),
// so the results are the same bits: four channels per vector, each lane a channel summed row
// after row as the loop sums it.
#include <wasm_simd128.h>

// The upper two floats of a vector as float64.
static inline v128_t promote_high(v128_t v) {
  return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3));
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
