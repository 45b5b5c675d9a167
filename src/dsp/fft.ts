import FFT from 'fft.js';

/**
 * A real-input DFT plan for one size. `forward` returns the bins `0..size/2` interleaved
 * `[re0, im0, re1, im1, …]` in a buffer owned by the plan (valid until the next call); entries past
 * bin `size/2` are unspecified.
 *
 * Powers of two use fft.js's radix-4 real transform; other sizes use Bluestein's chirp-z algorithm
 * on a power-of-two fft.js plan, so every size is computed exactly (never zero-padded). All work
 * is done in float64, as numpy/pocketfft does for librosa.
 * @internal
 */
export interface RealFftPlan {
  readonly size: number;
  forward(input: Float64Array): Float64Array;
  /**
   * Complex DFT of `input` (interleaved, length 2·size); returns all `size` bins interleaved in a
   * buffer owned by the plan. Used to transform two real frames at once.
   */
  transform(input: Float64Array): Float64Array;
  /**
   * Optional fast path: the float32 magnitudes (real and imaginary parts rounded to float32 first,
   * as numpy's abs of complex64) of bins `0..bins−1` of the last `forward` result, into
   * `out[offset …]`.
   */
  magnitudes?(out: Float32Array, offset: number, bins: number): void;
  /**
   * Optional fast path: the same for the two real frames A and B whose combination A + i·B the
   * last `transform` took, into `out[outA …]` and `out[outB …]`.
   */
  pairMagnitudes?(out: Float32Array, outA: number, outB: number, bins: number): void;
  /**
   * Optional fast path: the float32 magnitudes of `count` consecutive windowed frames of `signal`,
   * frame j being `signal[first + j·hop + i] · win[i]` at position `winStart + i` (zero elsewhere),
   * into rows of `bins` at `out[outOffset …]`; two frames per complex FFT unless `onePerFft`.
   * Every sample index must lie inside `signal`.
   */
  stftMagnitudes?(
    signal: Float32Array | Float64Array,
    first: number,
    count: number,
    hop: number,
    win: Float64Array,
    winStart: number,
    onePerFft: boolean,
    out: Float32Array,
    outOffset: number,
    bins: number,
  ): void;
}

const plans = new Map<number, RealFftPlan>();

/**
 * Returns the cached real-FFT plan for `size` (any integer ≥ 1).
 * @internal
 */
export function realFftPlan(size: number): RealFftPlan {
  let plan = plans.get(size);
  if (!plan) {
    if (size < 16) plan = new DirectPlan(size);
    else if ((size & (size - 1)) === 0) plan = new Radix4Plan(size);
    else plan = new BluesteinPlan(size);
    plans.set(size, plan);
  }
  return plan;
}

class Radix4Plan implements RealFftPlan {
  readonly size: number;
  private readonly fft: FFT;
  private readonly out: Float64Array;
  constructor(size: number) {
    this.size = size;
    this.fft = new FFT(size);
    this.out = new Float64Array(2 * size);
  }
  forward(input: Float64Array): Float64Array {
    this.fft.realTransform(this.out, input);
    return this.out;
  }
  transform(input: Float64Array): Float64Array {
    this.fft.transform(this.out, input);
    return this.out;
  }
}

/** O(n²) DFT for tiny sizes, where fft.js does not apply or is not worth it. */
class DirectPlan implements RealFftPlan {
  readonly size: number;
  private readonly out: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  constructor(size: number) {
    this.size = size;
    this.out = new Float64Array(2 * size);
    this.cos = new Float64Array(size);
    this.sin = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.sin[i] = Math.sin((2 * Math.PI * i) / size);
    }
  }
  forward(input: Float64Array): Float64Array {
    const n = this.size;
    const out = this.out;
    for (let k = 0; k <= n >> 1; k++) {
      let re = 0;
      let im = 0;
      let idx = 0;
      for (let j = 0; j < n; j++) {
        re += input[j] * this.cos[idx];
        im -= input[j] * this.sin[idx];
        idx += k;
        if (idx >= n) idx -= n;
      }
      out[2 * k] = re;
      out[2 * k + 1] = im;
    }
    return out;
  }
  transform(input: Float64Array): Float64Array {
    const n = this.size;
    const out = this.out;
    for (let k = 0; k < n; k++) {
      let re = 0;
      let im = 0;
      let idx = 0;
      for (let j = 0; j < n; j++) {
        const c = this.cos[idx];
        const s = this.sin[idx];
        re += input[2 * j] * c + input[2 * j + 1] * s;
        im += input[2 * j + 1] * c - input[2 * j] * s;
        idx += k;
        if (idx >= n) idx -= n;
      }
      out[2 * k] = re;
      out[2 * k + 1] = im;
    }
    return out;
  }
}

/**
 * Bluestein: X[k] = w[k] · Σ_j (x[j] w[j]) · conj(w[k − j]) with w[j] = exp(−iπ j²/n), a circular
 * convolution evaluated with two power-of-two FFTs of size m ≥ 2n − 1.
 */
class BluesteinPlan implements RealFftPlan {
  readonly size: number;
  private readonly m: number;
  private readonly fft: FFT;
  private readonly chirpRe: Float64Array;
  private readonly chirpIm: Float64Array;
  /** FFT of the conjugate chirp, interleaved. */
  private readonly kernel: Float64Array;
  private readonly a: Float64Array;
  private readonly spec: Float64Array;
  private readonly conv: Float64Array;
  private readonly out: Float64Array;

  constructor(size: number) {
    const n = size;
    this.size = n;
    let m = 1;
    while (m < 2 * n - 1) m <<= 1;
    this.m = m;
    this.fft = new FFT(m);
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    const twoN = 2 * n;
    for (let j = 0; j < n; j++) {
      // j² mod 2n keeps the angle small and exact for large j.
      const r = (j * j) % twoN;
      const angle = (Math.PI * r) / n;
      this.chirpRe[j] = Math.cos(angle);
      this.chirpIm[j] = -Math.sin(angle);
    }
    const b = new Float64Array(2 * m);
    b[0] = 1;
    for (let j = 1; j < n; j++) {
      b[2 * j] = this.chirpRe[j];
      b[2 * j + 1] = -this.chirpIm[j];
      b[2 * (m - j)] = this.chirpRe[j];
      b[2 * (m - j) + 1] = -this.chirpIm[j];
    }
    this.kernel = new Float64Array(2 * m);
    this.fft.transform(this.kernel, b);
    this.a = new Float64Array(2 * m);
    this.spec = new Float64Array(2 * m);
    this.conv = new Float64Array(2 * m);
    this.out = new Float64Array(2 * n);
  }

  forward(input: Float64Array): Float64Array {
    const { size: n, a, chirpRe, chirpIm } = this;
    for (let j = 0; j < n; j++) {
      const x = input[j];
      a[2 * j] = x * chirpRe[j];
      a[2 * j + 1] = x * chirpIm[j];
    }
    return this.convolve(Math.floor(n / 2) + 1);
  }

  transform(input: Float64Array): Float64Array {
    const { size: n, a, chirpRe, chirpIm } = this;
    for (let j = 0; j < n; j++) {
      const xr = input[2 * j];
      const xi = input[2 * j + 1];
      a[2 * j] = xr * chirpRe[j] - xi * chirpIm[j];
      a[2 * j + 1] = xr * chirpIm[j] + xi * chirpRe[j];
    }
    return this.convolve(n);
  }

  /** Finishes the transform of the chirped input in `a`, producing bins 0..bins−1. */
  private convolve(bins: number): Float64Array {
    const { size: n, m, a, spec, conv, kernel, out, chirpRe, chirpIm } = this;
    a.fill(0, 2 * n);
    this.fft.transform(spec, a);
    for (let i = 0; i < 2 * m; i += 2) {
      const sr = spec[i];
      const si = spec[i + 1];
      const kr = kernel[i];
      const ki = kernel[i + 1];
      spec[i] = sr * kr - si * ki;
      spec[i + 1] = sr * ki + si * kr;
    }
    this.fft.inverseTransform(conv, spec);
    for (let k = 0; k < bins; k++) {
      const cr = conv[2 * k];
      const ci = conv[2 * k + 1];
      out[2 * k] = cr * chirpRe[k] - ci * chirpIm[k];
      out[2 * k + 1] = cr * chirpIm[k] + ci * chirpRe[k];
    }
    return out;
  }
}

/** The non-negative-frequency half of a DFT, as separate real and imaginary parts. */
export interface Spectrum {
  /** Real parts of bins `0 .. floor(n/2)`. */
  re: Float64Array;
  /** Imaginary parts of bins `0 .. floor(n/2)`. */
  im: Float64Array;
}

/**
 * Discrete Fourier transform of a real signal, for any length ≥ 1.
 *
 * Returns the non-negative-frequency half, `numpy.fft.rfft` style: `floor(n/2) + 1` bins, as
 * separate real and imaginary parts. Computed in float64; powers of two use fft.js, other sizes
 * Bluestein's algorithm (exact, never zero-padded).
 *
 * @param signal - Real samples, any length ≥ 1.
 * @returns `{ re, im }`, each of length `floor(n/2) + 1`.
 *
 * @example
 * ```ts
 * const { re, im } = rfft(new Float32Array([1, 0, 0, 0]));  // re = [1, 1, 1], im = [0, 0, 0]
 * ```
 */
export function rfft(signal: ArrayLike<number>): Spectrum {
  const n = signal.length;
  const plan = realFftPlan(n);
  const input = Float64Array.from(signal);
  const out = plan.forward(input);
  const bins = Math.floor(n / 2) + 1;
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    re[k] = out[2 * k];
    im[k] = out[2 * k + 1];
  }
  return { re, im };
}
