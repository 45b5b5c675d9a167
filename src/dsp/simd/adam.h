// Training's optimizer step, included by kernels.c (src/model/adam.ts): data-parallel shards'
// gradients summed with weights by shard size, then Adam. The arithmetic of the JavaScript loops and
// TensorFlow.js ops it replaces, in their order, one rounding per operation, so the results are the
// same bits: the sums in float64 rounded to float32 after each addition (as a JavaScript
// Float32Array stores them), Adam in float32 (as tfjs's Adam: mul, add, square, div, sqrt, each
// rounded). No fused multiply-adds: this module is built without relaxed SIMD.
#include <wasm_simd128.h>
#include "norm.h" // promote_high, demote_pair
#pragma STDC FP_CONTRACT OFF

// sum[i] = g[i] · scale (first) or sum[i] + g[i] · scale, in float64, rounded to float32, for n values.
__attribute__((export_name("grad_accumulate_f32")))
void grad_accumulate_f32(int n, const float *g, double scale, int first, float *sum) {
  const v128_t sc = wasm_f64x2_splat(scale);
  int i = 0;
  for (; i + 3 < n; i += 4) {
    v128_t gv = wasm_v128_load(g + i);
    v128_t lo = wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(gv), sc);
    v128_t hi = wasm_f64x2_mul(promote_high(gv), sc);
    if (!first) {
      v128_t s = wasm_v128_load(sum + i);
      lo = wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(s), lo);
      hi = wasm_f64x2_add(promote_high(s), hi);
    }
    wasm_v128_store(sum + i, demote_pair(lo, hi));
  }
  for (; i < n; i++) sum[i] = (float)(first ? (double)g[i] * scale : (double)sum[i] + (double)g[i] * scale);
}

// One Adam step of n weights w from the summed gradients sum (g = sum / count in float64, rounded):
// m = m·b1 + g·c1, v = v·b2 + (g·g)·c2, w = ((m / o1) / (sqrt(v / o2) + eps))·nlr + w, then w·keep
// (decoupled weight decay; keep is 1 when off, and w·1 is w). c1 = 1 − b1, c2 = 1 − b2, o1 and o2 the
// bias corrections 1 − b1^t and 1 − b2^t, nlr the negated learning rate, all already float32.
__attribute__((export_name("adam_f32")))
void adam_f32(int n, float *w, float *m, float *v, const float *sum, double count, float b1, float c1, float b2,
              float c2, float o1, float o2, float eps, float nlr, float keep) {
  const v128_t cnt = wasm_f64x2_splat(count);
  // Dividing by a power of two (every full batch's rows, and 1 for one thread) is multiplying by its
  // reciprocal exactly, and faster (the reference CNN's 135 680 weights: 0.24 → 0.21 ms).
  int pow2 = 0;
  if (count >= 1 && count <= 1073741824) { // converted to int only where it fits
    const int rows = (int)count;
    pow2 = rows == count && (rows & (rows - 1)) == 0;
  }
  const v128_t inv = wasm_f64x2_splat(1.0 / count);
  const v128_t B1 = wasm_f32x4_splat(b1), C1 = wasm_f32x4_splat(c1), B2 = wasm_f32x4_splat(b2),
               C2 = wasm_f32x4_splat(c2), O1 = wasm_f32x4_splat(o1), O2 = wasm_f32x4_splat(o2),
               E = wasm_f32x4_splat(eps), L = wasm_f32x4_splat(nlr), K = wasm_f32x4_splat(keep);
  int i = 0;
  for (; i + 3 < n; i += 4) {
    v128_t s = wasm_v128_load(sum + i);
    v128_t lo = wasm_f64x2_promote_low_f32x4(s), hi = promote_high(s);
    v128_t g = pow2 ? demote_pair(wasm_f64x2_mul(lo, inv), wasm_f64x2_mul(hi, inv))
                    : demote_pair(wasm_f64x2_div(lo, cnt), wasm_f64x2_div(hi, cnt));
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(g, C1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), C2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vi, O2)), E);
    v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(mi, O1), den), L);
    wasm_v128_store(w + i, wasm_f32x4_mul(wasm_f32x4_add(step, wasm_v128_load(w + i)), K));
  }
  for (; i < n; i++) {
    float g = (float)((double)sum[i] / count);
    float mi = m[i] * b1 + g * c1;
    float vi = v[i] * b2 + (g * g) * c2;
    m[i] = mi;
    v[i] = vi;
    w[i] = ((mi / o1) / (__builtin_sqrtf(vi / o2) + eps) * nlr + w[i]) * keep;
  }
}
