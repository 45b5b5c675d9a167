// Hot loops of the DSP core for WebAssembly SIMD, in float64 (one complex number per f64x2
// vector): FFTs, float32 spectral magnitudes, and YIN's difference function.
// Built into src/dsp/simd-module.ts by `node scripts/build-wasm.mjs` (clang 16 or later, wasm-ld);
// the library never needs a compiler at install time.
//
// Memory layout is owned by the JavaScript side (src/dsp/simd.ts): it places the buffers and
// the twiddle tables, computed there with Math.cos / Math.sin, and passes their byte offsets.
//
// FFT algorithm: Stockham autosort, radix 4, with one radix-2 stage last when log2(n) is odd;
// out of place, ping-ponging between `x` and `y`. A twiddle w = wr + i·wi is stored as two
// vectors (wr, wr) and (−wi, wi), so a·w = a·(wr, wr) + swap(a)·(−wi, wi).
#include <wasm_simd128.h>

typedef v128_t cplx;

static inline cplx cmul(cplx a, cplx wrr, cplx wii) {
  cplx sw = wasm_i64x2_shuffle(a, a, 1, 0);
  return wasm_f64x2_add(wasm_f64x2_mul(a, wrr), wasm_f64x2_mul(sw, wii));
}

// −i·a = (a.im, −a.re)
static inline cplx mul_minus_i(cplx a) {
  cplx sw = wasm_i64x2_shuffle(a, a, 1, 0);
  return wasm_f64x2_mul(sw, wasm_f64x2_make(1.0, -1.0));
}

// Forward complex DFT of `n` points (a power of two, n ≥ 4) from `x` (interleaved re, im).
// `tw` holds, stage by stage (n_cur = n, n/4, …, while n_cur ≥ 4), for p = 0 … n_cur/4 − 1, the
// vectors of W^p, W^2p, W^3p (W = exp(−2πi/n_cur)): six vectors per p. Returns the buffer that
// holds the result: x or y (y is scratch of the same size). x is overwritten.
__attribute__((export_name("fft")))
cplx *fft(int n, cplx *x, cplx *y, const cplx *tw) {
  int s = 1;
  int ncur = n;
  while (ncur >= 4) {
    int m = ncur >> 2;
    for (int p = 0; p < m; p++) {
      const cplx *w = tw + 6 * p;
      cplx w1r = w[0], w1i = w[1], w2r = w[2], w2i = w[3], w3r = w[4], w3i = w[5];
      const cplx *xa = x + s * p;
      const cplx *xb = xa + s * m;
      const cplx *xc = xb + s * m;
      const cplx *xd = xc + s * m;
      cplx *ya = y + s * 4 * p;
      cplx *yb = ya + s;
      cplx *yc = yb + s;
      cplx *yd = yc + s;
      if (p == 0) {
        for (int q = 0; q < s; q++) {
          cplx a = xa[q], b = xb[q], c = xc[q], d = xd[q];
          cplx apc = wasm_f64x2_add(a, c), amc = wasm_f64x2_sub(a, c);
          cplx bpd = wasm_f64x2_add(b, d), jbmd = mul_minus_i(wasm_f64x2_sub(b, d));
          ya[q] = wasm_f64x2_add(apc, bpd);
          yb[q] = wasm_f64x2_add(amc, jbmd);
          yc[q] = wasm_f64x2_sub(apc, bpd);
          yd[q] = wasm_f64x2_sub(amc, jbmd);
        }
      } else {
        for (int q = 0; q < s; q++) {
          cplx a = xa[q], b = xb[q], c = xc[q], d = xd[q];
          cplx apc = wasm_f64x2_add(a, c), amc = wasm_f64x2_sub(a, c);
          cplx bpd = wasm_f64x2_add(b, d), jbmd = mul_minus_i(wasm_f64x2_sub(b, d));
          ya[q] = wasm_f64x2_add(apc, bpd);
          yb[q] = cmul(wasm_f64x2_add(amc, jbmd), w1r, w1i);
          yc[q] = cmul(wasm_f64x2_sub(apc, bpd), w2r, w2i);
          yd[q] = cmul(wasm_f64x2_sub(amc, jbmd), w3r, w3i);
        }
      }
    }
    tw += 6 * m;
    s <<= 2;
    ncur >>= 2;
    cplx *t = x;
    x = y;
    y = t;
  }
  if (ncur == 2) {
    for (int q = 0; q < s; q++) {
      cplx a = x[q], b = x[q + s];
      y[q] = wasm_f64x2_add(a, b);
      y[q + s] = wasm_f64x2_sub(a, b);
    }
    return y;
  }
  return x;
}

// Real forward DFT of `n` points (a power of two, n ≥ 8) of the real samples at `in`: the complex
// n/2-point DFT Z of z[j] = in[2j] + i·in[2j+1], then X[k] = (Z[k] + conj Z[h−k]) / 2 −
// i·W^k (Z[k] − conj Z[h−k]) / 2 with h = n/2, W = exp(−2πi/n). `split` holds W^k for
// k = 0 … h/2 as (wr, wi) pairs. Writes bins 0 … h interleaved to `out` (h + 1 vectors). `in` is
// overwritten.
__attribute__((export_name("rfft")))
void rfft(int n, cplx *in, cplx *y, const cplx *tw, const cplx *split, cplx *out) {
  int h = n >> 1;
  cplx *z = fft(h, in, y, tw);
  const double *zd = (const double *)z;
  const double *sd = (const double *)split;
  double *od = (double *)out;
  double z0r = zd[0], z0i = zd[1];
  od[0] = z0r + z0i;
  od[1] = 0;
  od[2 * h] = z0r - z0i;
  od[2 * h + 1] = 0;
  for (int k = 1; k <= h >> 1; k++) {
    int m = h - k;
    double ar = zd[2 * k], ai = zd[2 * k + 1];
    double br = zd[2 * m], bi = zd[2 * m + 1];
    // E = (Z[k] + conj Z[m]) / 2, O = (Z[k] − conj Z[m]) / 2 · (−i)
    double er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
    double or_ = 0.5 * (ai + bi), oi = -0.5 * (ar - br);
    double wr = sd[2 * k], wi = sd[2 * k + 1];
    double tr = wr * or_ - wi * oi, ti = wr * oi + wi * or_;
    od[2 * k] = er + tr;
    od[2 * k + 1] = ei + ti;
    // X[h − k] = conj(E) − conj(W^k·O) · (−1): by symmetry of the pair (k, m)
    od[2 * m] = er - tr;
    od[2 * m + 1] = -(ei - ti);
  }
}

// Rounds both lanes to float32 and back, as a (double)(float) cast does.
static inline v128_t round_f32(v128_t v) {
  return wasm_f64x2_promote_low_f32x4(wasm_f32x4_demote_f64x2_zero(v));
}

// sqrt(re² + im²) of the lanes of (re0, re1) and (im0, im1), rounded to float32 and stored as two
// floats at `out`.
static inline void store_hypot2(float *out, v128_t re, v128_t im) {
  v128_t m = wasm_f64x2_sqrt(wasm_f64x2_add(wasm_f64x2_mul(re, re), wasm_f64x2_mul(im, im)));
  wasm_v128_store64_lane(out, wasm_f32x4_demote_f64x2_zero(m), 0);
}

// Magnitudes of bins 0 … bins−1 of the interleaved spectrum `z`, as numpy's abs of a complex64
// STFT: real and imaginary parts rounded to float32, the root of the sum of squares taken in
// float64 and rounded to float32. The same operations, in the same order, as the JavaScript path
// (WebAssembly has no fused multiply-add), so both give the same bits. Two bins per step.
__attribute__((export_name("magnitudes")))
void magnitudes(int bins, const double *z, float *out) {
  int k = 0;
  for (; k + 1 < bins; k += 2) {
    v128_t v0 = round_f32(wasm_v128_load(z + 2 * k));
    v128_t v1 = round_f32(wasm_v128_load(z + 2 * k + 2));
    store_hypot2(out + k, wasm_i64x2_shuffle(v0, v1, 0, 2), wasm_i64x2_shuffle(v0, v1, 1, 3));
  }
  for (; k < bins; k++) {
    double re = (float)z[2 * k];
    double im = (float)z[2 * k + 1];
    out[k] = (float)__builtin_sqrt(re * re + im * im);
  }
}

// Magnitudes of two real frames A and B transformed together as A + i·B (n-point complex
// spectrum `z`): A[k] = (Z[k] + conj Z[n−k]) / 2, B[k] = (Z[k] − conj Z[n−k]) / 2i, each rounded
// as in `magnitudes`, for k = 0 … bins−1 (bins ≤ n/2 + 1). One bin of both frames per step.
__attribute__((export_name("pair_magnitudes")))
void pair_magnitudes(int n, int bins, const double *z, float *outA, float *outB) {
  const v128_t half = wasm_f64x2_splat(0.5);
  const v128_t neg_hi = wasm_f64x2_make(1.0, -1.0);
  for (int k = 0; k < bins; k++) {
    int m = k == 0 ? 0 : n - k;
    v128_t zk = wasm_v128_load(z + 2 * k);
    v128_t zm = wasm_v128_load(z + 2 * m);
    v128_t sum = wasm_f64x2_add(zk, zm);   // (zr_k + zr_m, zi_k + zi_m)
    v128_t diff = wasm_f64x2_sub(zk, zm);  // (zr_k − zr_m, zi_k − zi_m)
    // A = (sum.re, diff.im) / 2, B = (sum.im, −diff.re) / 2, rounded to float32.
    v128_t a = round_f32(wasm_f64x2_mul(half, wasm_i64x2_shuffle(sum, diff, 0, 3)));
    v128_t b = round_f32(wasm_f64x2_mul(half, wasm_f64x2_mul(wasm_i64x2_shuffle(sum, diff, 1, 2), neg_hi)));
    v128_t m2 = wasm_f64x2_sqrt(wasm_f64x2_add(wasm_f64x2_mul(wasm_i64x2_shuffle(a, b, 0, 2), wasm_i64x2_shuffle(a, b, 0, 2)),
                                                 wasm_f64x2_mul(wasm_i64x2_shuffle(a, b, 1, 3), wasm_i64x2_shuffle(a, b, 1, 3))));
    v128_t f = wasm_f32x4_demote_f64x2_zero(m2);
    outA[k] = wasm_f32x4_extract_lane(f, 0);
    outB[k] = wasm_f32x4_extract_lane(f, 1);
  }
}

// The cumulative mean normalised difference of YIN for every frame, as src/dsp/yin.ts's `cmndf`
// computes it in JavaScript, operation for operation (the same bits): see there for the maths.
// `padded`: the framed signal; `fft_tw`: twiddles of the L-point transform; x, y: L-point FFT
// buffers; pa: 4·(L/2 + 1) doubles; acf: 2·(maxP + 1) doubles; ea, eb: W + maxP + 1 floats each;
// out: frames × (maxP − minP + 1) doubles.
__attribute__((export_name("cmndf")))
void cmndf(const double *padded, int frames, int L, int W, int hop, int minP, int maxP, const cplx *fft_tw,
           cplx *x, cplx *y, double *pa, double *acf, float *ea, float *eb, double *out) {
  const double tiny = 2.2250738585072014e-308;
  int half = L >> 1;
  int lags = maxP - minP + 1;
  for (int t = 0; t < frames; t += 2) {
    int pair = t + 1 < frames;
    for (int f = 0; f < (pair ? 2 : 1); f++) {
      const double *src = padded + (t + f) * hop;
      double *z = (double *)x;
      z[0] = src[0];
      z[1] = 0;
      for (int i = 1; i <= W; i++) {
        z[2 * i] = src[i];
        z[2 * i + 1] = src[i];
      }
      for (int i = W + 1; i < L; i++) {
        z[2 * i] = src[i];
        z[2 * i + 1] = 0;
      }
      const double *Z = (const double *)fft(L, x, y, fft_tw);
      double *p = pa + 2 * f * (half + 1);
      for (int k = 0; k <= half; k++) {
        int m = k == 0 ? 0 : L - k;
        double yr = (Z[2 * k] + Z[2 * m]) / 2;
        double yi = (Z[2 * k + 1] - Z[2 * m + 1]) / 2;
        double wr = (Z[2 * k + 1] + Z[2 * m + 1]) / 2;
        double wi = (Z[2 * m] - Z[2 * k]) / 2;
        p[2 * k] = yr * wr + yi * wi;
        p[2 * k + 1] = yi * wr - yr * wi;
      }
    }
    double *q = (double *)x;
    int o = 2 * (half + 1);
    for (int k = 0; k <= half; k++) {
      double ar = pa[2 * k];
      double ai = pa[2 * k + 1];
      double br = pair ? pa[o + 2 * k] : 0;
      double bi = pair ? pa[o + 2 * k + 1] : 0;
      q[2 * k] = ar - bi;
      q[2 * k + 1] = -(ai + br);
      if (k > 0 && k < half) {
        int m = L - k;
        q[2 * m] = ar + bi;
        q[2 * m + 1] = ai - br;
      }
    }
    const double *r = (const double *)fft(L, x, y, fft_tw);
    for (int n = 0; n <= maxP; n++) {
      acf[n] = r[2 * n] / L;
      acf[maxP + 1 + n] = -r[2 * n + 1] / L;
    }
    const double *sa = padded + t * hop;
    const double *sb = pair ? sa + hop : sa;
    float ca = 0, cb = 0;
    for (int i = 0, n = W + maxP; i <= n; i++) {
      double a = sa[i], b = sb[i];
      ca = ca + (float)(a * a);
      cb = cb + (float)(b * b);
      ea[i] = ca;
      eb[i] = cb;
    }
    for (int f = 0; f < (pair ? 2 : 1); f++) {
      const float *en = f == 0 ? ea : eb;
      const double *ac = acf + f * (maxP + 1);
      float e0 = en[W] - en[0];
      if (__builtin_fabs((double)e0) < 1e-6) e0 = 0;
      double cum = 0;
      double *row = out + (t + f) * lags - minP;
      for (int tau = 1; tau <= maxP; tau++) {
        float e = en[W + tau] - en[tau];
        if (__builtin_fabs((double)e) < 1e-6) e = 0;
        double a = ac[tau];
        if (__builtin_fabs(a) < 1e-6) a = 0;
        double d = (double)(float)(e0 + e) - 2 * a;
        cum += d;
        if (tau >= minP) row[tau] = d / (cum / tau + tiny);
      }
    }
  }
}

// Float32 magnitudes (as `magnitudes`) of `count` frames of `sig`, frame j starting at sample
// j·hop, each multiplied by the window `win` (wl samples) placed at `win_start` of an nfft-point
// frame whose other samples are zero: rows of `bins` floats at `out`. With `one_per_fft`, one real
// transform per frame (`rfft`, twiddles `tw_half` and `split`); otherwise frames go two at a time
// through one complex transform (`fft`, twiddles `tw`), as A + i·B, and an odd last frame alone
// through a real transform. `spec` is scratch for the real transform's bins.
__attribute__((export_name("stft_magnitudes")))
void stft_magnitudes(const double *sig, int count, int hop, const double *win, int wl, int win_start, int nfft,
                     int one_per_fft, const cplx *tw, const cplx *tw_half, const cplx *split, cplx *x, cplx *y,
                     cplx *spec, int bins, float *out) {
  int j = 0;
  if (!one_per_fft) {
    for (; j + 1 < count; j += 2) {
      double *z = (double *)x;
      for (int i = 0; i < 2 * nfft; i++) z[i] = 0;
      const double *a = sig + j * hop;
      const double *b = a + hop;
      for (int i = 0; i < wl; i++) {
        z[2 * (win_start + i)] = a[i] * win[i];
        z[2 * (win_start + i) + 1] = b[i] * win[i];
      }
      const cplx *r = fft(nfft, x, y, tw);
      pair_magnitudes(nfft, bins, (const double *)r, out + j * bins, out + (j + 1) * bins);
    }
  }
  for (; j < count; j++) {
    double *in = (double *)x;
    for (int i = 0; i < nfft; i++) in[i] = 0;
    const double *a = sig + j * hop;
    for (int i = 0; i < wl; i++) in[win_start + i] = a[i] * win[i];
    rfft(nfft, x, y, tw_half, split, spec);
    magnitudes(bins, (const double *)spec, out + j * bins);
  }
}

// Sum of a vector's two lanes.
static inline double hsum(v128_t v) {
  return wasm_f64x2_extract_lane(v, 0) + wasm_f64x2_extract_lane(v, 1);
}

// Two float32 values at p, widened to float64.
static inline v128_t load2_f32(const float *p) {
  return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p));
}

// out[t·rows + r] = Σ_k fb[r·bins + k] · data[t·bins + k] in float64, for `frames` rows of `bins`
// float32 values in `data` and a float32 filterbank `fb` (rows × bins): four filters at a time,
// two bins per step.
__attribute__((export_name("filterbank_f32")))
void filterbank_f32(int rows, int bins, int frames, const float *fb, const float *data, double *out) {
  for (int t = 0; t < frames; t++) {
    const float *d = data + t * bins;
    double *o = out + t * rows;
    int r = 0;
    for (; r + 3 < rows; r += 4) {
      const float *w0 = fb + r * bins, *w1 = w0 + bins, *w2 = w1 + bins, *w3 = w2 + bins;
      v128_t a0 = wasm_f64x2_splat(0), a1 = a0, a2 = a0, a3 = a0;
      int k = 0;
      for (; k + 1 < bins; k += 2) {
        v128_t x = load2_f32(d + k);
        a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(load2_f32(w0 + k), x));
        a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(load2_f32(w1 + k), x));
        a2 = wasm_f64x2_add(a2, wasm_f64x2_mul(load2_f32(w2 + k), x));
        a3 = wasm_f64x2_add(a3, wasm_f64x2_mul(load2_f32(w3 + k), x));
      }
      double s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
      for (; k < bins; k++) {
        double x = d[k];
        s0 += (double)w0[k] * x;
        s1 += (double)w1[k] * x;
        s2 += (double)w2[k] * x;
        s3 += (double)w3[k] * x;
      }
      o[r] = s0;
      o[r + 1] = s1;
      o[r + 2] = s2;
      o[r + 3] = s3;
    }
    for (; r < rows; r++) {
      const float *w = fb + r * bins;
      v128_t a = wasm_f64x2_splat(0);
      int k = 0;
      for (; k + 1 < bins; k += 2) a = wasm_f64x2_add(a, wasm_f64x2_mul(load2_f32(w + k), load2_f32(d + k)));
      double s = hsum(a);
      for (; k < bins; k++) s += (double)w[k] * d[k];
      o[r] = s;
    }
  }
}

// The gradient of max pooling whose windows tile the input (stride = window, no padding), for
// `images` NHWC images of h × w × c: each window's gradient g goes to its first largest input
// (row-major; an all-NaN window gives none), every other input of the window gets 0. Four channels
// per vector: the window's maximum and its position are found with compares and selects, then each
// of the window's fh·fw positions is written once. Rows and columns that no window covers are
// zeroed.
__attribute__((export_name("maxpool_grad_tiling")))
void maxpool_grad_tiling(int images, int h, int w, int c, int fh, int fw, const float *x, const float *g,
                         float *dx) {
  const int oh = h / fh, ow = w / fw, taps = fh * fw;
  if (oh * fh != h || ow * fw != w) __builtin_memset(dx, 0, (unsigned long)images * h * w * c * sizeof(float));
  for (int b = 0; b < images; b++)
    for (int y = 0; y < oh; y++)
      for (int xo = 0; xo < ow; xo++) {
        const int corner = ((b * h + y * fh) * w + xo * fw) * c;
        const float *go = g + ((b * oh + y) * ow + xo) * c;
        int ch = 0;
        for (; ch + 3 < c; ch += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff()), at = wasm_i32x4_splat(-1);
          for (int i = 0, k = 0; i < fh; i++)
            for (int j = 0; j < fw; j++, k++) {
              v128_t v = wasm_v128_load(x + corner + (i * w + j) * c + ch);
              v128_t m = wasm_f32x4_gt(v, best);
              best = wasm_v128_bitselect(v, best, m);
              at = wasm_v128_bitselect(wasm_i32x4_splat(k), at, m);
            }
          v128_t gv = wasm_v128_load(go + ch);
          for (int i = 0, k = 0; i < fh; i++)
            for (int j = 0; j < fw; j++, k++)
              wasm_v128_store(dx + corner + (i * w + j) * c + ch,
                              wasm_v128_and(gv, wasm_i32x4_eq(at, wasm_i32x4_splat(k))));
        }
        for (; ch < c; ch++) {
          float best = -__builtin_inff();
          int at = -1;
          for (int k = 0; k < taps; k++) {
            float v = x[corner + ((k / fw) * w + k % fw) * c + ch];
            if (v > best) {
              best = v;
              at = k;
            }
          }
          for (int k = 0; k < taps; k++) dx[corner + ((k / fw) * w + k % fw) * c + ch] = k == at ? go[ch] : 0.0f;
        }
      }
}

// The polyphase stage of resample (src/audio/resample.ts), outputs m0 … m0 + count − 1, with the
// same float64 arithmetic in the same order as its JavaScript loop, so the results are identical:
// output m sits at input position m·down/up; its taps weights (row `phase` of `table`, phases × taps
// float64) meet the float32 samples from first = floor(m·down/up) − half + 1 on. `sig` holds the
// samples [offset, offset + span) of a signal of n; every output's samples must lie in it (the
// caller copies the span the block needs). Inside the signal, four partial sums (two vectors of two
// lanes: lanes 0 and 1 are the loop's a0 and a1, the second vector's a2 and a3) over four taps at a
// time, the remaining taps (0 or 2) into a0, then a0 + a1 + (a2 + a3); at the edges one running sum
// over the taps that meet the signal.
__attribute__((export_name("polyphase_f32")))
void polyphase_f32(const float *sig, int offset, int n, const double *table, int taps, int half, int up,
                   int down, int m0, int count, float *out) {
  for (int j = 0; j < count; j++) {
    long long num = (long long)(m0 + j) * down;
    long long base = num / up;
    int phase = (int)(num - base * up);
    const double *w = table + (long long)phase * taps;
    long long first = base - half + 1;
    double acc = 0;
    if (first >= 0 && first + taps <= n) {
      const float *s = sig + (first - offset);
      v128_t a01 = wasm_f64x2_splat(0), a23 = a01;
      int i = 0;
      for (; i + 3 < taps; i += 4) {
        a01 = wasm_f64x2_add(a01, wasm_f64x2_mul(wasm_v128_load(w + i), load2_f32(s + i)));
        a23 = wasm_f64x2_add(a23, wasm_f64x2_mul(wasm_v128_load(w + i + 2), load2_f32(s + i + 2)));
      }
      double a0 = wasm_f64x2_extract_lane(a01, 0), a1 = wasm_f64x2_extract_lane(a01, 1);
      double a2 = wasm_f64x2_extract_lane(a23, 0), a3 = wasm_f64x2_extract_lane(a23, 1);
      for (; i < taps; i++) a0 += w[i] * (double)s[i];
      acc = a0 + a1 + (a2 + a3);
    } else {
      int lo = first < 0 ? (int)-first : 0;
      long long hiL = n - first;
      int hi = hiL < taps ? (int)hiL : taps;
      for (int i = lo; i < hi; i++) acc += w[i] * (double)sig[first + i - offset];
    }
    out[j] = (float)acc;
  }
}

// The half-band stage of resample (halve in src/audio/resample.ts), outputs j0 … j0 + count − 1:
// y[j] = Σ_k taps[k] · x[2j − h + k], k = 0 … 2h, one running float64 sum per output in k order,
// as its JavaScript loop, so the results are identical. Four outputs at a time, one per lane of two
// vectors (their samples are two apart: lanes 0 and 2 of four loaded floats); at the edges, only
// the taps whose samples lie in the signal. `sig` holds the samples [offset, …) of a signal of n, as for
// polyphase_f32.
__attribute__((export_name("halve_f32")))
void halve_f32(const float *sig, int offset, int n, const double *taps, int h, int j0, int count, float *out) {
  int len = 2 * h + 1;
  int j = 0;
  for (; j < count; j++) {
    int c = 2 * (j0 + j);
    if (j + 3 < count && c - h >= 0 && c + 6 + h < n) {
      // Four outputs, two sums of two lanes (each sum waits on its own additions only).
      const float *s = sig + (c - h - offset);
      v128_t acc01 = wasm_f64x2_splat(0), acc23 = acc01;
      for (int k = 0; k < len; k++) {
        v128_t t = wasm_f64x2_splat(taps[k]);
        v128_t lo = wasm_v128_load(s + k), hi = wasm_v128_load(s + k + 4);
        v128_t x01 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(lo, lo, 0, 2, 0, 2));
        v128_t x23 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(hi, hi, 0, 2, 0, 2));
        acc01 = wasm_f64x2_add(acc01, wasm_f64x2_mul(t, x01));
        acc23 = wasm_f64x2_add(acc23, wasm_f64x2_mul(t, x23));
      }
      out[j] = (float)wasm_f64x2_extract_lane(acc01, 0);
      out[j + 1] = (float)wasm_f64x2_extract_lane(acc01, 1);
      out[j + 2] = (float)wasm_f64x2_extract_lane(acc23, 0);
      out[j + 3] = (float)wasm_f64x2_extract_lane(acc23, 1);
      j += 3;
      continue;
    }
    double acc = 0;
    if (c - h >= 0 && c + h < n)
      for (int k = 0; k < len; k++) acc += taps[k] * (double)sig[c - h + k - offset];
    else
      for (int k = (h - c > 0 ? h - c : 0); k < len && c - h + k < n; k++)
        acc += taps[k] * (double)sig[c - h + k - offset];
    out[j] = (float)acc;
  }
}

#include "conv1d.h"
#include "norm.h"
#include "adam.h"
#include "dropout.h"

__attribute__((export_name("conv1d_f32")))
void conv1d_f32(int items, int t_in, int c, int k, int pad_l, int t_out, int f8, const float *x, const float *w,
                const float *b, int relu, float *y) {
  for (int i = 0; i < items; i++)
    for (int f = 0; f < f8; f += 8)
      conv1d_columns(x + (long)i * t_in * c, y + (long)i * t_out * f8 + f, t_in, c, k, pad_l, t_out, f8, w + f, f8,
                     wasm_v128_load(b + f), wasm_v128_load(b + f + 4), relu);
}

// Max pooling over time for predictions: windows of `size` rows every `stride` rows, no padding,
// `f8` channels (a multiple of 4) per row. NaN propagates.
__attribute__((export_name("maxpool1d_f32")))
void maxpool1d_f32(int items, int t_in, int f8, int size, int stride, int t_out, const float *x, float *y) {
  for (int i = 0; i < items; i++)
    for (int t = 0; t < t_out; t++) {
      const float *xr = x + ((long)i * t_in + (long)t * stride) * f8;
      float *yr = y + ((long)i * t_out + t) * f8;
      for (int f = 0; f < f8; f += 4) {
        v128_t m = wasm_v128_load(xr + f);
        for (int j = 1; j < size; j++) m = wasm_f32x4_max(m, wasm_v128_load(xr + j * f8 + f));
        wasm_v128_store(yr + f, m);
      }
    }
}

// conv1d_f32 for taps k = n − m + 1 by Winograd's minimal filtering F(m, k) (Lavin & Gray 2016):
// the output in tiles of m rows, each from n input rows. Per item: the input tiles transformed,
// V[ξ][p] = Σ_j bt[ξ][j] · x[p·m − padL + j] (rows outside the input are zeros); n products
// M[ξ] = V[ξ] · U[ξ] on conv1d_f32's kernel, U[ξ] (c × f8) the filters transformed by the caller;
// then y[p·m + o] = act(b + Σ_ξ at[o][ξ] · M[ξ][p]). `v` and `mm` are scratch of n·⌈t_out/m⌉ rows of
// c and of f8 floats, `zero` f8 zeros. Needs c a multiple of 4.
__attribute__((export_name("winograd_conv1d_f32")))
void winograd_conv1d_f32(int items, int t_in, int c, int pad_l, int t_out, int f8, int m, int n, const float *bt,
                         const float *at, const float *x, const float *u, const float *b, const float *zero,
                         int relu, float *v, float *mm, float *y) {
  const int tiles = (t_out + m - 1) / m;
  const v128_t vzero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < items; i++) {
    const float *xi = x + (long)i * t_in * c;
    float *yi = y + (long)i * t_out * f8;
    for (int p = 0; p < tiles; p++) {
      const int s = p * m - pad_l;
      for (int ch = 0; ch < c; ch += 4) {
        v128_t d[16];
        for (int j = 0; j < n; j++) {
          const int row = s + j;
          d[j] = row >= 0 && row < t_in ? wasm_v128_load(xi + row * c + ch) : vzero;
        }
        for (int q = 0; q < n; q++) {
          v128_t acc = vzero;
          for (int j = 0; j < n; j++) {
            const float e = bt[q * n + j];
            if (e != 0.0f) acc = MADD(acc, wasm_f32x4_splat(e), d[j]);
          }
          wasm_v128_store(v + ((long)q * tiles + p) * c + ch, acc);
        }
      }
    }
    for (int q = 0; q < n; q++)
      conv1d_f32(1, tiles, c, 1, 0, tiles, f8, v + (long)q * tiles * c, u + (long)q * c * f8, zero, 0,
                 mm + (long)q * tiles * f8);
    for (int p = 0; p < tiles; p++)
      for (int f = 0; f < f8; f += 4) {
        v128_t e[16];
        for (int q = 0; q < n; q++) e[q] = wasm_v128_load(mm + ((long)q * tiles + p) * f8 + f);
        const v128_t bias = wasm_v128_load(b + f);
        for (int o = 0; o < m && p * m + o < t_out; o++) {
          v128_t acc = bias;
          for (int q = 0; q < n; q++) {
            const float a = at[o * n + q];
            if (a != 0.0f) acc = MADD(acc, wasm_f32x4_splat(a), e[q]);
          }
          if (relu) acc = wasm_f32x4_max(acc, vzero);
          wasm_v128_store(yi + (p * m + o) * f8 + f, acc);
        }
      }
  }
}
