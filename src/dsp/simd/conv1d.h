// The convolution kernels shared by two WebAssembly modules (scripts/build-wasm.mjs): the
// one-dimensional convolution and its filter gradient, and the two-dimensional convolution at
// stride 1 and its filter gradient;
// the DSP core's (src/dsp/simd/kernels.c), whose multiply-adds are a multiply then an add, as
// XNNPACK's, and training's fused one (src/dsp/simd/train-fused.c, built with SE_FUSED and relaxed
// SIMD), whose multiply-adds are f32x4.relaxed_madd: one rounding instead of two, so other bits,
// and on processors whose multiply and add share two ports (Intel before Sapphire Rapids) about
// twice the products per cycle (bench/README.md).
#ifndef SE_CONV1D_H
#define SE_CONV1D_H
#include <wasm_simd128.h>

#ifdef SE_FUSED
// clang 16's name for relaxed SIMD's f32x4.relaxed_madd (a·b + acc).
#define MADD(acc, a, b) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(acc)))
#else
#define MADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

// One-dimensional convolution at stride 1, for predictions (conv1d_f32 in kernels.c, for
// src/model/series-block.ts) and training (below), channels last, float32: y[i][t][f] = act(b[f] + Σ_j Σ_c x[i][t − padL + j][c] · w[j][c][f]), rows outside
// the input counting as zeros. `f8` output channels (a multiple of 8: the caller pads the filters
// with zero columns), `c` input channels per row. Four output rows × eight channels per step: eight
// accumulators, each input value splatted once per four rows, each filter vector loaded once per
// four rows; rows near the edges one at a time, with the taps that meet the input. The products are
// added one at a time in the order of (j, c), as XNNPACK's convolution adds them (fused, with
// SE_FUSED).
//
// conv1d_columns does eight output channels of one item: `yi` and `wf` point at the first of them,
// `ws` floats between the filter rows of one channel and the next.
static inline void conv1d_columns(const float *xi, float *yi, int t_in, int c, int k, int pad_l, int t_out, int f8,
                                  const float *wf, int ws, v128_t b0, v128_t b1, int relu) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int t = 0; t < t_out;) {
    const int first = t - pad_l;
    if (first >= 0 && first + 3 + k - 1 < t_in && t + 3 < t_out) {
      v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
      for (int j = 0; j < k; j++) {
        const float *xr = xi + (first + j) * c;
        const float *wr = wf + j * c * ws;
        for (int ch = 0; ch < c; ch++, wr += ws) {
          const v128_t w0 = wasm_v128_load(wr), w1 = wasm_v128_load(wr + 4);
          const v128_t x0 = wasm_f32x4_splat(xr[ch]), x1 = wasm_f32x4_splat(xr[c + ch]);
          const v128_t x2 = wasm_f32x4_splat(xr[2 * c + ch]), x3 = wasm_f32x4_splat(xr[3 * c + ch]);
          a00 = MADD(a00, x0, w0);
          a01 = MADD(a01, x0, w1);
          a10 = MADD(a10, x1, w0);
          a11 = MADD(a11, x1, w1);
          a20 = MADD(a20, x2, w0);
          a21 = MADD(a21, x2, w1);
          a30 = MADD(a30, x3, w0);
          a31 = MADD(a31, x3, w1);
        }
      }
      if (relu) {
        a00 = wasm_f32x4_max(a00, zero), a01 = wasm_f32x4_max(a01, zero);
        a10 = wasm_f32x4_max(a10, zero), a11 = wasm_f32x4_max(a11, zero);
        a20 = wasm_f32x4_max(a20, zero), a21 = wasm_f32x4_max(a21, zero);
        a30 = wasm_f32x4_max(a30, zero), a31 = wasm_f32x4_max(a31, zero);
      }
      float *yr = yi + t * f8;
      wasm_v128_store(yr, a00), wasm_v128_store(yr + 4, a01);
      wasm_v128_store(yr + f8, a10), wasm_v128_store(yr + f8 + 4, a11);
      wasm_v128_store(yr + 2 * f8, a20), wasm_v128_store(yr + 2 * f8 + 4, a21);
      wasm_v128_store(yr + 3 * f8, a30), wasm_v128_store(yr + 3 * f8 + 4, a31);
      t += 4;
      continue;
    }
    v128_t a0 = b0, a1 = b1;
    for (int j = 0; j < k; j++) {
      const int row = first + j;
      if (row < 0 || row >= t_in) continue;
      const float *xr = xi + row * c;
      const float *wr = wf + j * c * ws;
      for (int ch = 0; ch < c; ch++, wr += ws) {
        const v128_t xv = wasm_f32x4_splat(xr[ch]);
        a0 = MADD(a0, xv, wasm_v128_load(wr));
        a1 = MADD(a1, xv, wasm_v128_load(wr + 4));
      }
    }
    if (relu) a0 = wasm_f32x4_max(a0, zero), a1 = wasm_f32x4_max(a1, zero);
    wasm_v128_store(yi + t * f8, a0), wasm_v128_store(yi + t * f8 + 4, a1);
    t++;
  }
}

// conv1d_f32 with the filters packed eight output channels at a time, w[f / 8][j][c][8], so that
// the filter rows one block reads lie together (for 128 filters, rows 512 bytes apart share
// cache sets); no bias, no activation. For training's forward pass and input gradient
// (src/model/wasm-conv1d.ts).
__attribute__((export_name("conv1d_packed_f32")))
void conv1d_packed_f32(int items, int t_in, int c, int k, int pad_l, int t_out, int f8, const float *x,
                       const float *w, float *y) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < items; i++)
    for (int f = 0; f < f8; f += 8)
      conv1d_columns(x + (long)i * t_in * c, y + (long)i * t_out * f8 + f, t_in, c, k, pad_l, t_out, f8,
                     w + (long)f * k * c, 8, zero, zero, 0);
}

// The filter gradient of conv1d_f32's convolution (without bias), for training
// (src/model/wasm-conv1d.ts): dw[j][ch][f] = Σ_i Σ_t x[i][t − padL + j][ch] · dy[i][t][f], the
// products added one at a time in the order of (i, t), from zero (or, with `accumulate`, from dw's
// values: a later chunk of items), rows outside the input left out. That is the order of the im2col
// product it replaces (one GEMM over the n·t_out positions), so the sums are the same bits. The
// rows go in blocks of 32 per item, each block through every (f, ch, j) tile while it is in the
// cache, the tiles' sums kept in dw between blocks. Four input channels × eight filters a step;
// `f8` columns of dy and dw (a multiple of 8).
static inline void filter_grad_tile(const float *xs, const float *gs, int c, int f8, int rows, float *d) {
  v128_t a00 = wasm_v128_load(d), a01 = wasm_v128_load(d + 4);
  v128_t a10 = wasm_v128_load(d + f8), a11 = wasm_v128_load(d + f8 + 4);
  v128_t a20 = wasm_v128_load(d + 2 * f8), a21 = wasm_v128_load(d + 2 * f8 + 4);
  v128_t a30 = wasm_v128_load(d + 3 * f8), a31 = wasm_v128_load(d + 3 * f8 + 4);
  for (int t = 0; t < rows; t++) {
    // Four splatting loads (x86: vbroadcastss) rather than one load and four shuffles, which all
    // wait for the one shuffle unit: 25–38 → 41–46 GFLOP/s on crnn's and the reference CNN's shapes.
    const float *xr = xs + t * c;
    const v128_t g0 = wasm_v128_load(gs + t * f8), g1 = wasm_v128_load(gs + t * f8 + 4);
    const v128_t x0 = wasm_v128_load32_splat(xr), x1 = wasm_v128_load32_splat(xr + 1);
    const v128_t x2 = wasm_v128_load32_splat(xr + 2), x3 = wasm_v128_load32_splat(xr + 3);
    a00 = MADD(a00, x0, g0);
    a01 = MADD(a01, x0, g1);
    a10 = MADD(a10, x1, g0);
    a11 = MADD(a11, x1, g1);
    a20 = MADD(a20, x2, g0);
    a21 = MADD(a21, x2, g1);
    a30 = MADD(a30, x3, g0);
    a31 = MADD(a31, x3, g1);
  }
  wasm_v128_store(d, a00), wasm_v128_store(d + 4, a01);
  wasm_v128_store(d + f8, a10), wasm_v128_store(d + f8 + 4, a11);
  wasm_v128_store(d + 2 * f8, a20), wasm_v128_store(d + 2 * f8 + 4, a21);
  wasm_v128_store(d + 3 * f8, a30), wasm_v128_store(d + 3 * f8 + 4, a31);
}

// Four channels × eight filters of dw from `rows` rows (filter_grad_tile), or, for the last `left`
// channels when fewer than four remain, one channel at a time; the same order of additions.
static inline void filter_grad_channels(const float *xs, const float *gs, int c, int left, int f8, int rows,
                                        float *d) {
  if (left >= 4) {
    filter_grad_tile(xs, gs, c, f8, rows, d);
    return;
  }
  for (int r = 0; r < left; r++, d += f8, xs++) {
    v128_t a0 = wasm_v128_load(d), a1 = wasm_v128_load(d + 4);
    for (int t = 0; t < rows; t++) {
      const v128_t xv = wasm_f32x4_splat(xs[t * c]);
      a0 = MADD(a0, xv, wasm_v128_load(gs + t * f8));
      a1 = MADD(a1, xv, wasm_v128_load(gs + t * f8 + 4));
    }
    wasm_v128_store(d, a0), wasm_v128_store(d + 4, a1);
  }
}

__attribute__((export_name("conv1d_filter_grad_f32")))
void conv1d_filter_grad_f32(int items, int t_in, int c, int k, int pad_l, int t_out, int f8, const float *x,
                            const float *dy, int accumulate, float *dw) {
  if (!accumulate)
    for (long q = 0; q < (long)k * c * f8; q++) dw[q] = 0.0f;
  const int block = 32;
  for (int i = 0; i < items; i++)
    for (int t0 = 0; t0 < t_out; t0 += block) {
      const int t1 = t0 + block < t_out ? t0 + block : t_out;
      const float *xi = x + (long)i * t_in * c;
      const float *gi = dy + (long)i * t_out * f8;
      for (int f = 0; f < f8; f += 8)
        for (int ch = 0; ch < c; ch += 4)
          for (int j = 0; j < k; j++) {
            // Output rows whose input row t − padL + j lies inside the input, within this block.
            const int lo = pad_l - j > t0 ? pad_l - j : t0;
            const int hi = t_in + pad_l - j < t1 ? t_in + pad_l - j : t1;
            if (lo >= hi) continue;
            float *d = dw + ((long)j * c + ch) * f8 + f;
            const float *xs = xi + (long)(lo - pad_l + j) * c + ch;
            const float *gs = gi + (long)lo * f8 + f;
            filter_grad_channels(xs, gs, c, c - ch, f8, hi - lo, d);
          }
    }
}

#ifdef SE_FUSED
// Training's five-tap convolutions in Winograd's form F(4, 5), where they run fused
// (src/model/wasm-conv1d.ts): other bits than the direct sum, 2.5 times fewer products. The
// transforms are written out for the points 0, ±1, ±1/2, ±2 and ∞ (bt and at of
// src/model/winograd.ts, each pair of rows ± sharing its two sums), four channels at a time.
static inline void wino45_in(const v128_t *d, v128_t *v) {
  const v128_t k425 = wasm_f32x4_splat(-4.25f), k525 = wasm_f32x4_splat(5.25f);
  v[0] = MADD(wasm_f32x4_sub(d[6], d[0]), k525, wasm_f32x4_sub(d[2], d[4]));
  v[7] = MADD(wasm_f32x4_sub(d[7], d[1]), k525, wasm_f32x4_sub(d[3], d[5]));
  v128_t a = MADD(wasm_f32x4_add(d[2], d[6]), k425, d[4]);
  v128_t b = MADD(wasm_f32x4_add(d[1], d[5]), k425, d[3]);
  v[1] = wasm_f32x4_add(a, b), v[2] = wasm_f32x4_sub(a, b);
  a = MADD(MADD(d[6], wasm_f32x4_splat(4.0f), d[2]), wasm_f32x4_splat(-5.0f), d[4]);
  b = MADD(MADD(wasm_f32x4_mul(wasm_f32x4_splat(2.0f), d[1]), wasm_f32x4_splat(-2.5f), d[3]), wasm_f32x4_splat(0.5f), d[5]);
  v[3] = wasm_f32x4_add(a, b), v[4] = wasm_f32x4_sub(a, b);
  a = MADD(MADD(d[6], wasm_f32x4_splat(0.25f), d[2]), wasm_f32x4_splat(-1.25f), d[4]);
  b = MADD(MADD(wasm_f32x4_mul(wasm_f32x4_splat(0.5f), d[1]), wasm_f32x4_splat(-2.5f), d[3]), wasm_f32x4_splat(2.0f), d[5]);
  v[5] = wasm_f32x4_add(a, b), v[6] = wasm_f32x4_sub(a, b);
}

// y[o] = Σ_ξ at[o][ξ] · e[ξ], the four outputs of a tile.
static inline void wino45_out(const v128_t *e, v128_t *y) {
  const v128_t s12 = wasm_f32x4_add(e[1], e[2]), d12 = wasm_f32x4_sub(e[1], e[2]);
  const v128_t s34 = wasm_f32x4_add(e[3], e[4]), d34 = wasm_f32x4_sub(e[3], e[4]);
  const v128_t s56 = wasm_f32x4_add(e[5], e[6]), d56 = wasm_f32x4_sub(e[5], e[6]);
  y[0] = wasm_f32x4_add(wasm_f32x4_add(e[0], s12), wasm_f32x4_add(s34, s56));
  y[1] = MADD(MADD(d12, wasm_f32x4_splat(0.5f), d34), wasm_f32x4_splat(2.0f), d56);
  y[2] = MADD(MADD(s12, wasm_f32x4_splat(0.25f), s34), wasm_f32x4_splat(4.0f), s56);
  y[3] = wasm_f32x4_add(MADD(MADD(d12, wasm_f32x4_splat(0.125f), d34), wasm_f32x4_splat(8.0f), d56), e[7]);
}

// e[ξ] = Σ_o at[o][ξ] · g[o]: a tile of dy into the transformed domain (the transpose of wino45_out).
static inline void wino45_grad(const v128_t *g, v128_t *e) {
  e[0] = g[0], e[7] = g[3];
  v128_t a = wasm_f32x4_add(g[0], g[2]), b = wasm_f32x4_add(g[1], g[3]);
  e[1] = wasm_f32x4_add(a, b), e[2] = wasm_f32x4_sub(a, b);
  a = MADD(g[0], wasm_f32x4_splat(0.25f), g[2]);
  b = MADD(wasm_f32x4_mul(wasm_f32x4_splat(0.5f), g[1]), wasm_f32x4_splat(0.125f), g[3]);
  e[3] = wasm_f32x4_add(a, b), e[4] = wasm_f32x4_sub(a, b);
  a = MADD(g[0], wasm_f32x4_splat(4.0f), g[2]);
  b = MADD(wasm_f32x4_mul(wasm_f32x4_splat(2.0f), g[1]), wasm_f32x4_splat(8.0f), g[3]);
  e[5] = wasm_f32x4_add(a, b), e[6] = wasm_f32x4_sub(a, b);
}

// One item's input tiles transformed: v[ξ][p][ch] = Σ_j bt[ξ][j] · x[4p − padL + j][ch] for its
// ⌈t_out / 4⌉ tiles, rows outside the input counting as zeros; `c` a multiple of 4.
static inline void wino45_input(const float *xi, int t_in, int c, int pad_l, int tiles, float *v) {
  const v128_t vzero = wasm_f32x4_splat(0.0f);
  for (int p = 0; p < tiles; p++) {
    const int s = 4 * p - pad_l;
    const int inside = s >= 0 && s + 8 <= t_in;
    for (int ch = 0; ch < c; ch += 4) {
      v128_t d[8], t[8];
      for (int j = 0; j < 8; j++)
        d[j] = inside || (s + j >= 0 && s + j < t_in) ? wasm_v128_load(xi + (s + j) * c + ch) : vzero;
      wino45_in(d, t);
      for (int q = 0; q < 8; q++) wasm_v128_store(v + ((long)q * tiles + p) * c + ch, t[q]);
    }
  }
}

// The forward pass (and so the input gradient) per item: the input transformed, the eight products
// M[ξ] = V[ξ] · U[ξ] on conv1d_packed_f32's kernel with U[ξ] the filters transformed and packed as one
// tap ([f8 / 8][c][8]), then the output transform; no bias, no activation. `v` and `mm`: scratch of
// 8·⌈t_out / 4⌉ rows of c and of f8 floats.
__attribute__((export_name("winograd_packed_f32")))
void winograd_packed_f32(int items, int t_in, int c, int pad_l, int t_out, int f8, const float *x, const float *u,
                         float *v, float *mm, float *y) {
  const int tiles = (t_out + 3) / 4;
  for (int i = 0; i < items; i++) {
    float *yi = y + (long)i * t_out * f8;
    wino45_input(x + (long)i * t_in * c, t_in, c, pad_l, tiles, v);
    for (int q = 0; q < 8; q++)
      conv1d_packed_f32(1, tiles, c, 1, 0, tiles, f8, v + (long)q * tiles * c, u + (long)q * c * f8,
                        mm + (long)q * tiles * f8);
    for (int p = 0; p < tiles; p++)
      for (int f = 0; f < f8; f += 4) {
        v128_t e[8], out[4];
        for (int q = 0; q < 8; q++) e[q] = wasm_v128_load(mm + ((long)q * tiles + p) * f8 + f);
        wino45_out(e, out);
        for (int o = 0; o < 4 && 4 * p + o < t_out; o++) wasm_v128_store(yi + (4 * p + o) * f8 + f, out[o]);
      }
  }
}

// The filter gradient of winograd_packed_f32's convolution, in the transformed domain: with V the
// input transformed and E[ξ][p] = Σ_o at[o][ξ] · dy[4p + o] (rows past t_out as zeros),
// du[ξ][ch][f] = Σ_i Σ_p V[ξ][p][ch] · E[ξ][p][f] on conv1d_filter_grad_f32's kernel (one tap), from
// zero or, with `accumulate`, from du's values. The caller then takes dw[j] = Σ_ξ g[ξ][j] · du[ξ]
// (mix_rows_f32). `v` and `e`: scratch of 8·⌈t_out / 4⌉ rows of c and of f8 floats.
__attribute__((export_name("winograd_filter_grad_f32")))
void winograd_filter_grad_f32(int items, int t_in, int c, int pad_l, int t_out, int f8, const float *x,
                              const float *dy, int accumulate, float *v, float *e, float *du) {
  const int tiles = (t_out + 3) / 4;
  const v128_t vzero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < items; i++) {
    const float *gi = dy + (long)i * t_out * f8;
    wino45_input(x + (long)i * t_in * c, t_in, c, pad_l, tiles, v);
    for (int p = 0; p < tiles; p++)
      for (int f = 0; f < f8; f += 4) {
        v128_t g[4], t[8];
        for (int o = 0; o < 4; o++) g[o] = 4 * p + o < t_out ? wasm_v128_load(gi + (4 * p + o) * f8 + f) : vzero;
        wino45_grad(g, t);
        for (int q = 0; q < 8; q++) wasm_v128_store(e + ((long)q * tiles + p) * f8 + f, t[q]);
      }
    for (int q = 0; q < 8; q++)
      conv1d_filter_grad_f32(1, tiles, c, 1, 0, tiles, f8, v + (long)q * tiles * c, e + (long)q * tiles * f8,
                             accumulate || i > 0, du + (long)q * c * f8);
  }
}

// dst[a][r] = Σ_b coef[a][b] · src[b][r] for `outs` rows a of `len` floats (a multiple of 16: c·f8
// with c a multiple of 4 and f8 of 8) from `ins` rows b (at most 8): the filters into Winograd's
// form (coef = g) and their gradient back (coef = gᵀ). Sixteen columns at a time: src read once for
// all of dst's rows, each coefficient read and tested once for four vectors (2.3× as fast as one
// vector at a time); each sum from zero in the order of b, zero coefficients skipped.
__attribute__((export_name("mix_rows_f32")))
void mix_rows_f32(int outs, int ins, int len, const float *coef, const float *src, float *dst) {
  for (int r = 0; r < len; r += 16) {
    v128_t s[8][4];
    for (int b = 0; b < ins; b++)
      for (int q = 0; q < 4; q++) s[b][q] = wasm_v128_load(src + (long)b * len + r + 4 * q);
    for (int a = 0; a < outs; a++) {
      v128_t acc[4];
      for (int q = 0; q < 4; q++) acc[q] = wasm_f32x4_splat(0.0f);
      for (int b = 0; b < ins; b++) {
        const float w = coef[a * ins + b];
        if (w == 0.0f) continue;
        const v128_t vw = wasm_f32x4_splat(w);
        for (int q = 0; q < 4; q++) acc[q] = MADD(acc[q], vw, s[b][q]);
      }
      for (int q = 0; q < 4; q++) wasm_v128_store(dst + (long)a * len + r + 4 * q, acc[q]);
    }
  }
}

// out[a·len + 0 … 7] = Σ_b coef[a][b] · (s[b·stride], s[b·stride + 1]) for a < outs: eight filters'
// values of each tap b, mixed as mix_rows_f32 mixes them (from zero in the order of b, zero
// coefficients skipped).
static inline void mix_eight(int outs, int ins, const float *coef, const v128_t *s, int stride, float *out,
                             long len) {
  for (int a = 0; a < outs; a++) {
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
    for (int b = 0; b < ins; b++) {
      const float x = coef[a * ins + b];
      if (x == 0.0f) continue;
      const v128_t vx = wasm_f32x4_splat(x);
      acc0 = MADD(acc0, vx, s[b * stride]);
      acc1 = MADD(acc1, vx, s[b * stride + 1]);
    }
    wasm_v128_store(out + a * len, acc0);
    wasm_v128_store(out + a * len + 4, acc1);
  }
}

// dst[a][(ch·8 + o)] for a row of eight outputs (ob … ob + 7) of winograd_filters_f32's flipped
// filters, four channels at a time: each tap's 8 × 4 block of w (outputs × channels) read as eight
// vectors and transposed, instead of 32 scalar reads. Same sums.
static void wino_filters_flipped(int outs, int ins, int c, int co, int ob, const float *coef, const float *w,
                                 float *dst, long len) {
  for (int ch = 0; ch < c; ch += 4) {
    v128_t s[8][4][2]; // [tap][channel][outputs 0–3, 4–7]
    for (int b = 0; b < ins; b++) {
      const float *src = w + ((long)(ins - 1 - b) * co + ob) * c + ch;
      for (int h = 0; h < 2; h++) {
        const float *r = src + (long)4 * h * c;
        v128_t x0 = wasm_v128_load(r), x1 = wasm_v128_load(r + c), x2 = wasm_v128_load(r + 2 * c),
               x3 = wasm_v128_load(r + 3 * c);
        v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7);
        v128_t t2 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
        s[b][0][h] = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
        s[b][1][h] = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
        s[b][2][h] = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
        s[b][3][h] = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
      }
    }
    for (int q = 0; q < 4; q++) mix_eight(outs, ins, coef, &s[0][q][0], 8, dst + (ch + q) * 8, len);
  }
}

// The filters of a convolution in Winograd's form straight from its weights: mix_rows_f32 (coef = g,
// `outs` × `ins`) of the taps packed eight outputs at a time, as the caller used to pack them
// (packTap in src/model/wasm-conv1d.ts), in one pass with no packed copy between.
// dst[a][(o − o % 8)·c + ch·8 + o % 8] = Σ_b coef[a][b] · w′[b][ch][o], o < f8, zero for o ≥ co;
// w′ is w ([ins][c][co]) or, with `flip`, the input gradient's filters of the convolution whose
// filters w are ([ins][co][c]): w′[b][ch][o] = w[ins − 1 − b][o][ch]. Each sum as mix_rows_f32's:
// from zero in the order of b, zero coefficients skipped, so the same bits.
__attribute__((export_name("winograd_filters_f32")))
void winograd_filters_f32(int outs, int ins, int c, int co, int f8, int flip, const float *coef, const float *w,
                          float *dst) {
  const long len = (long)c * f8;
  float tap[8][8] __attribute__((aligned(16)));
  for (int ob = 0; ob < f8; ob += 8) {
    const int full = ob + 8 <= co ? 8 : co - ob;
    if (flip && full == 8 && c % 4 == 0) {
      wino_filters_flipped(outs, ins, c, co, ob, coef, w, dst + (long)ob * c, len);
      continue;
    }
    for (int ch = 0; ch < c; ch++) {
      v128_t s[8][2];
      for (int b = 0; b < ins; b++) {
        if (!flip && full == 8) {
          const float *src = w + ((long)b * c + ch) * co + ob;
          s[b][0] = wasm_v128_load(src);
          s[b][1] = wasm_v128_load(src + 4);
          continue;
        }
        for (int o = 0; o < 8; o++)
          tap[b][o] = o >= full ? 0.0f
                      : flip    ? w[((long)(ins - 1 - b) * co + ob + o) * c + ch]
                                : w[((long)b * c + ch) * co + ob + o];
        s[b][0] = wasm_v128_load(tap[b]);
        s[b][1] = wasm_v128_load(tap[b] + 4);
      }
      mix_eight(outs, ins, coef, &s[0][0], 2, dst + (long)ob * c + ch * 8, len);
    }
  }
}
#endif


// The filter gradient of a two-dimensional convolution at stride and dilation 1 (cnn2d's), channels
// last: dw[a][b][ch][f] = Σ_i Σ_y Σ_x xp[i][y + a][x + b][ch] · dy[i][y][x][f], over an input padded
// by the caller (xp: `hp` rows of `wp` columns, the convolution's padding as zeros) and a dy whose
// rows are `wp` wide too (zeros past the output's width), so that output position t = y·wp + x reads
// input position t + a·wp + b for every tap. The products are added one at a time in the order of
// (i, y, x), from zero (or dw's values, with `accumulate`), as the im2col product they replace (one
// GEMM over the n·oh·ow positions) adds them; the zero columns add ±0, which changes no sum.
// `rows`: the output positions of an item up to its last real one ((oh − 1)·wp + ow), so that no
// read passes the padded input.
__attribute__((export_name("conv2d_filter_grad_f32")))
void conv2d_filter_grad_f32(int items, int hp, int wp, int c, int kh, int kw, int rows, int oh, int f8,
                            const float *x, const float *dy, int accumulate, float *dw) {
  if (!accumulate)
    for (long q = 0; q < (long)kh * kw * c * f8; q++) dw[q] = 0.0f;
  const int block = 32;
  for (int i = 0; i < items; i++)
    for (int t0 = 0; t0 < rows; t0 += block) {
      const int t1 = t0 + block < rows ? t0 + block : rows;
      const float *xi = x + (long)i * hp * wp * c;
      const float *gi = dy + (long)i * oh * wp * f8;
      for (int f = 0; f < f8; f += 8)
        for (int ch = 0; ch < c; ch += 4)
          for (int tap = 0; tap < kh * kw; tap++) {
            const long offset = (long)(tap / kw) * wp + tap % kw;
            float *d = dw + ((long)tap * c + ch) * f8 + f;
            const float *xs = xi + (t0 + offset) * c + ch;
            const float *gs = gi + (long)t0 * f8 + f;
            filter_grad_channels(xs, gs, c, c - ch, f8, t1 - t0, d);
          }
    }
}

// A two-dimensional convolution at stride and dilation 1, channels last, over an input padded by
// the caller (as conv2d_filter_grad_f32's: `hp` rows of `wp` columns, the padding as zeros), so that
// output position t = y·wp + x reads input position t + a·wp + b for tap (a, b): y[i][t][f] =
// b[f] + Σ_tap Σ_ch xp[i][t + offset(tap)][ch] · w[tap][ch][f], the products added one at a time
// in the order of (tap, ch) after the bias, as XNNPACK's convolution adds them (its padding, too,
// multiplies zeros). Only positions t < `rows` are written (the last real output is
// (oh − 1)·wp + ow − 1; the columns x ≥ ow between are computed and left for the caller to drop).
// Filters packed eight output channels at a time, w[f / 8][tap][ch][8]; `bias` f8 floats. Four
// positions × eight filters per step, as conv1d_columns.
static inline void conv2d_columns(const float *xi, float *yi, int c, int taps, const int *rows_at, int rows,
                                  int f8, const float *wf, v128_t b0, v128_t b1) {
  int t = 0;
  for (; t + 3 < rows; t += 4) {
    v128_t a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
    const float *wr = wf;
    for (int tap = 0; tap < taps; tap++) {
      const float *xr = xi + (t + rows_at[tap]) * c;
      for (int ch = 0; ch < c; ch++, wr += 8) {
        const v128_t w0 = wasm_v128_load(wr), w1 = wasm_v128_load(wr + 4);
        const v128_t x0 = wasm_v128_load32_splat(xr + ch), x1 = wasm_v128_load32_splat(xr + c + ch);
        const v128_t x2 = wasm_v128_load32_splat(xr + 2 * c + ch), x3 = wasm_v128_load32_splat(xr + 3 * c + ch);
        a00 = MADD(a00, x0, w0);
        a01 = MADD(a01, x0, w1);
        a10 = MADD(a10, x1, w0);
        a11 = MADD(a11, x1, w1);
        a20 = MADD(a20, x2, w0);
        a21 = MADD(a21, x2, w1);
        a30 = MADD(a30, x3, w0);
        a31 = MADD(a31, x3, w1);
      }
    }
    float *yr = yi + t * f8;
    wasm_v128_store(yr, a00), wasm_v128_store(yr + 4, a01);
    wasm_v128_store(yr + f8, a10), wasm_v128_store(yr + f8 + 4, a11);
    wasm_v128_store(yr + 2 * f8, a20), wasm_v128_store(yr + 2 * f8 + 4, a21);
    wasm_v128_store(yr + 3 * f8, a30), wasm_v128_store(yr + 3 * f8 + 4, a31);
  }
  for (; t < rows; t++) {
    v128_t a0 = b0, a1 = b1;
    const float *wr = wf;
    for (int tap = 0; tap < taps; tap++) {
      const float *xr = xi + (t + rows_at[tap]) * c;
      for (int ch = 0; ch < c; ch++, wr += 8) {
        const v128_t xv = wasm_v128_load32_splat(xr + ch);
        a0 = MADD(a0, xv, wasm_v128_load(wr));
        a1 = MADD(a1, xv, wasm_v128_load(wr + 4));
      }
    }
    wasm_v128_store(yi + t * f8, a0), wasm_v128_store(yi + t * f8 + 4, a1);
  }
}

// Unfused (kernels.c) training does not call it (XNNPACK keeps those convolutions: as fast there);
// the kernel tests do, to pin against XNNPACK the order of additions that the fused module uses.
__attribute__((export_name("conv2d_packed_f32")))
void conv2d_packed_f32(int items, int hp, int wp, int c, int kh, int kw, int rows, int oh, int f8, const float *x,
                       const float *w, const float *bias, float *y) {
  // Each tap's offset in positions (a·wp + b), for up to 64 taps (8 × 8) here; larger filters in
  // the caller's scratch after y would need more: the caller keeps those on XNNPACK.
  int rows_at[64];
  const int taps = kh * kw;
  for (int tap = 0; tap < taps && tap < 64; tap++) rows_at[tap] = (tap / kw) * wp + tap % kw;
  for (int i = 0; i < items; i++)
    for (int f = 0; f < f8; f += 8)
      conv2d_columns(x + (long)i * hp * wp * c, y + (long)i * oh * wp * f8 + f, c, taps, rows_at, rows, f8,
                     w + (long)f * taps * c, wasm_v128_load(bias + f), wasm_v128_load(bias + f + 4));
}

// The same convolution for one output channel (the input gradient of a convolution over one
// channel: cnn2d's first layer), with positions in the vector lanes instead of filters: the input
// comes as one padded plane per channel (`planes`: xt[i][ch][q], q = row·wp + column, each plane
// `plane` floats, zeros from hp·wp on), and y[i][t] = Σ_tap Σ_ch xt[i][ch][t + offset(tap)] ·
// w[tap][ch], the products added in the order of (tap, ch), as conv2d_columns adds them. Sixteen
// positions per step (four vectors); y gets `rows` rounded up to 16 positions per item (oh·wp + 16
// floats each).
__attribute__((export_name("conv2d_one_out_f32")))
void conv2d_one_out_f32(int items, int wp, int c, int kh, int kw, int rows, int oh, int plane, const float *xt,
                        const float *w, float *y) {
  for (int i = 0; i < items; i++) {
    const float *xi = xt + (long)i * c * plane;
    float *yi = y + (long)i * (oh * wp + 16);
    for (int t = 0; t < rows; t += 16) {
      v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      const float *wr = w;
      for (int a = 0; a < kh; a++)
        for (int b = 0; b < kw; b++) {
          const float *xr = xi + t + a * wp + b;
          for (int ch = 0; ch < c; ch++, wr++, xr += plane) {
            const v128_t wv = wasm_v128_load32_splat(wr);
            a0 = MADD(a0, wasm_v128_load(xr), wv);
            a1 = MADD(a1, wasm_v128_load(xr + 4), wv);
            a2 = MADD(a2, wasm_v128_load(xr + 8), wv);
            a3 = MADD(a3, wasm_v128_load(xr + 12), wv);
          }
        }
      wasm_v128_store(yi + t, a0), wasm_v128_store(yi + t + 4, a1);
      wasm_v128_store(yi + t + 8, a2), wasm_v128_store(yi + t + 12, a3);
    }
  }
}

// dy's items ([oh][ow][co] each) into padded planes as conv2d_one_out_f32 reads them: plane ch of
// item i holds dy[i][y][x][ch] at (y + top)·wp + x + left, zeros around and in its last 16 floats
// (`plane` = hp·wp + 16). Four channels × four columns at a time, transposed in registers.
__attribute__((export_name("planes_f32")))
void planes_f32(int items, int oh, int ow, int co, int wp, int top, int left, int plane, const float *dy,
                float *xt) {
  for (int i = 0; i < items; i++) {
    float *pi = xt + (long)i * co * plane;
    for (int ch = 0; ch < co; ch++) {
      // The padding: rows above, the columns either side of each row of dy, rows below, the tail.
      float *d = pi + (long)ch * plane;
      for (int q = 0; q < top * wp; q++) d[q] = 0.0f;
      for (int yy = 0; yy < oh; yy++) {
        float *rr = d + (top + yy) * wp;
        for (int q = 0; q < left; q++) rr[q] = 0.0f;
        for (int q = left + ow; q < wp; q++) rr[q] = 0.0f;
      }
      for (int q = (top + oh) * wp; q < plane; q++) d[q] = 0.0f;
    }
    for (int yy = 0; yy < oh; yy++) {
      const float *g = dy + ((long)i * oh + yy) * ow * co;
      const int row = (top + yy) * wp + left;
      int ch = 0;
      for (; ch + 3 < co; ch += 4) {
        float *d0 = pi + (long)ch * plane + row, *d1 = d0 + plane, *d2 = d1 + plane, *d3 = d2 + plane;
        int x = 0;
        for (; x + 3 < ow; x += 4) {
          const v128_t r0 = wasm_v128_load(g + x * co + ch), r1 = wasm_v128_load(g + (x + 1) * co + ch);
          const v128_t r2 = wasm_v128_load(g + (x + 2) * co + ch), r3 = wasm_v128_load(g + (x + 3) * co + ch);
          const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          wasm_v128_store(d0 + x, wasm_i64x2_shuffle(t0, t1, 0, 2));
          wasm_v128_store(d1 + x, wasm_i64x2_shuffle(t0, t1, 1, 3));
          wasm_v128_store(d2 + x, wasm_i64x2_shuffle(t2, t3, 0, 2));
          wasm_v128_store(d3 + x, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
        for (; x < ow; x++) {
          const float *gx = g + x * co + ch;
          d0[x] = gx[0], d1[x] = gx[1], d2[x] = gx[2], d3[x] = gx[3];
        }
      }
      for (; ch < co; ch++) {
        float *d = pi + (long)ch * plane + row;
        for (int x = 0; x < ow; x++) d[x] = g[x * co + ch];
      }
    }
  }
}

#endif
