import { padForFrames } from './energy.js';
import { realFftPlan } from './fft.js';
import { rint } from './spectral-shape.js';
import type { PadMode } from './types.js';
import { checkInt, checkKnownOptions, checkNumber, checkOneOf, checkSignal, invalid } from './validate.js';

/** Options of {@link yin}: `librosa.yin`, same names in camelCase. */
export interface YinOptions {
  /** Sample rate of the signal in Hz. */
  sampleRate: number;
  /** Lowest frequency searched, in Hz (required, as in librosa; 50 suits speech). */
  fmin: number;
  /** Highest frequency searched, in Hz, at most `sampleRate / 2` (required; 500 suits speech). */
  fmax: number;
  /** Samples per frame. Default 2048; must hold the longest period `sampleRate / fmin` beside the window. */
  frameLength?: number;
  /** Length of the correlation window in samples, < `frameLength`. Default `frameLength / 2`. */
  winLength?: number;
  /** Samples between successive frames. Default `frameLength / 4`. */
  hopLength?: number;
  /** Centre frame `t` on sample `t · hopLength` by padding `frameLength / 2` samples at each end. Default `true`. */
  center?: boolean;
  /** Padding used when `center` is true. Default `'constant'` (zeros). */
  padMode?: PadMode;
}

/** Options of {@link yin} beyond {@link YinOptions}'s framing. */
export interface YinThresholdOptions extends YinOptions {
  /** Absolute threshold on the normalised difference for a dip to count as the period. Default 0.1. */
  troughThreshold?: number;
}

/** Options of {@link pyin}: `librosa.pyin`, same names and defaults in camelCase. */
export interface PyinOptions extends YinOptions {
  /** Number of thresholds the beta prior is spread over. Default 100. */
  nThresholds?: number;
  /** Shape parameters (a, b) of the beta prior over thresholds. Default [2, 18]. */
  betaParameters?: readonly [number, number];
  /** Boltzmann parameter of the prior that favours shorter periods. Default 2. */
  boltzmannParameter?: number;
  /** Pitch bins per semitone of the hidden Markov model, as a resolution in semitones. Default 0.1. */
  resolution?: number;
  /** Largest pitch change the model allows, in octaves per second. Default 35.92. */
  maxTransitionRate?: number;
  /** Probability of switching between voiced and unvoiced from one frame to the next. Default 0.01. */
  switchProb?: number;
  /** Probability given to the lowest dip when no dip is below a threshold. Default 0.01. */
  noTroughProb?: number;
  /** f0 of unvoiced frames: `NaN` (default), a number, or `null` for the best guess. */
  fillNa?: number | null;
}

/** What {@link pyin} returns: one value per frame in each array. */
export interface PyinResult {
  /** Fundamental frequency in Hz; `fillNa` (NaN by default) where the frame is unvoiced. */
  f0: Float64Array;
  /** 1 where the frame is voiced, 0 where it is not. */
  voicedFlag: Uint8Array;
  /** Probability that the frame is voiced, in [0, 1]. */
  voicedProb: Float64Array;
}

const YIN_KEYS = ['sampleRate', 'fmin', 'fmax', 'frameLength', 'winLength', 'hopLength', 'center', 'padMode'];

/** `np.finfo(np.float64).tiny`, which librosa adds to avoid division by zero and log(0). */
const TINY = 2.2250738585072014e-308;
const LOG_TINY = Math.log(TINY);

interface YinSetup {
  sampleRate: number;
  fmin: number;
  fmax: number;
  frameLength: number;
  winLength: number;
  hopLength: number;
  center: boolean;
  padMode: PadMode;
  minPeriod: number;
  maxPeriod: number;
}

function resolveYin(fn: string, o: YinOptions): YinSetup {
  if (o === null || typeof o !== 'object') {
    throw invalid(
      fn,
      'options must be an object with sampleRate, fmin and fmax, e.g. { sampleRate: 16000, fmin: 50, fmax: 500 }.',
    );
  }
  for (const name of ['sampleRate', 'fmin', 'fmax'] as const) {
    if (o[name] === undefined) {
      throw invalid(
        fn,
        `'${name}' is required, e.g. ${fn}(signal, { sampleRate: 16000, fmin: 50, fmax: 500 }).`,
      );
    }
  }
  const sampleRate = checkNumber(fn, 'sampleRate', o.sampleRate, 'positive');
  const fmin = checkNumber(fn, 'fmin', o.fmin, 'positive');
  const fmax = checkNumber(fn, 'fmax', o.fmax, 'positive');
  if (fmin >= fmax) throw invalid(fn, `'fmin' (${fmin} Hz) must be below 'fmax' (${fmax} Hz).`);
  if (fmax > sampleRate / 2) {
    throw invalid(fn, `'fmax' (${fmax} Hz) cannot exceed the Nyquist frequency (${sampleRate / 2} Hz).`);
  }
  const frameLength = checkInt(fn, 'frameLength', o.frameLength ?? 2048, 2);
  const winLength = checkInt(fn, 'winLength', o.winLength ?? Math.floor(frameLength / 2), 1);
  if (winLength >= frameLength) {
    throw invalid(fn, `'winLength' (${winLength}) must be below 'frameLength' (${frameLength}).`);
  }
  const hopLength = checkInt(fn, 'hopLength', o.hopLength ?? Math.floor(frameLength / 4), 1);
  const center = checkOneOf(fn, 'center', o.center ?? true, [true, false]);
  const padMode = checkOneOf(fn, 'padMode', o.padMode ?? 'constant', ['constant', 'reflect'] as const);
  const minPeriod = Math.floor(sampleRate / fmax);
  const longest = Math.ceil(sampleRate / fmin);
  // The difference function reaches lags up to frameLength − winLength − 1. librosa silently
  // shortens the search below fmin then; a caller who asked for fmin gets told instead.
  if (longest > frameLength - winLength - 1) {
    const need = longest + winLength + 1;
    throw invalid(
      fn,
      `'frameLength' (${frameLength}) is too short for 'fmin' = ${fmin} Hz: a period of ${longest} samples needs frameLength ≥ ${need} with winLength ${winLength}. Raise frameLength or fmin.`,
    );
  }
  return {
    sampleRate,
    fmin,
    fmax,
    frameLength,
    winLength,
    hopLength,
    center,
    padMode,
    minPeriod,
    maxPeriod: longest,
  };
}

/**
 * The cumulative mean normalised difference function of every frame (de Cheveigné & Kawahara,
 * 2002), for lags `minPeriod … maxPeriod`, frame-major, computed as librosa computes it: the
 * autocorrelation through the FFT, the energy terms from a float32 running sum, values below 1e-6
 * set to zero. The FFTs pair two frames per complex transform (see FrameAnalyzer).
 */
function cmndf(
  signal: Float32Array | Float64Array,
  s: YinSetup,
  fn: string,
): { d: Float64Array; frames: number; lags: number } {
  const framed = padForFrames(fn, signal, s, s.padMode);
  const padded = framed.padded instanceof Float64Array ? framed.padded : Float64Array.from(framed.padded);
  const frames = framed.frames;
  const L = s.frameLength;
  const W = s.winLength;
  const hop = s.hopLength;
  const minP = s.minPeriod;
  const maxP = s.maxPeriod;
  const lags = maxP - minP + 1;
  const out = new Float64Array(frames * lags);
  const plan = realFftPlan(L);
  const z = new Float64Array(2 * L);
  const pA = new Float64Array(2 * L);
  const q = new Float64Array(2 * L);
  const acf = new Float64Array(2 * (maxP + 1));
  const energy = new Float64Array(W + maxP + 1);
  const energyB = new Float64Array(W + maxP + 1);
  const half = L >> 1;
  for (let t = 0; t < frames; t += 2) {
    const pair = t + 1 < frames;
    // Cross-spectra of one or two frames, then one inverse transform for both (see below).
    for (let f = 0; f < (pair ? 2 : 1); f++) {
      const p = f === 0 ? pA : q;
      const start = (t + f) * hop;
      // P = Y · conj(W) for the frame y and its samples 1…W (w): one complex FFT of y + i·w gives
      // both spectra, and IFFT(P)[τ] = Σ_{m=1..W} y[m]·y[m+τ].
      z[0] = padded[start];
      z[1] = 0;
      for (let i = 1; i <= W; i++) {
        const v = padded[start + i];
        z[2 * i] = v;
        z[2 * i + 1] = v;
      }
      for (let i = W + 1; i < L; i++) {
        z[2 * i] = padded[start + i];
        z[2 * i + 1] = 0;
      }
      const Z = plan.transform(z);
      // P is Hermitian (the correlation is real): bins 0 … L/2, mirrored.
      for (let k = 0; k <= half; k++) {
        const m = k === 0 ? 0 : L - k;
        const yr = (Z[2 * k] + Z[2 * m]) / 2;
        const yi = (Z[2 * k + 1] - Z[2 * m + 1]) / 2;
        const wr = (Z[2 * k + 1] + Z[2 * m + 1]) / 2;
        const wi = (Z[2 * m] - Z[2 * k]) / 2;
        const pr = yr * wr + yi * wi;
        const pi = yi * wr - yr * wi;
        p[2 * k] = pr;
        p[2 * k + 1] = pi;
        if (k > 0 && m > half) {
          p[2 * m] = pr;
          p[2 * m + 1] = -pi;
        }
      }
    }
    // IFFT(P_A + i·P_B) = acf_A + i·acf_B, taken as conj(FFT(conj(·))) / L.
    for (let k = 0; k < L; k++) {
      const br = pair ? q[2 * k] : 0;
      const bi = pair ? q[2 * k + 1] : 0;
      q[2 * k] = pA[2 * k] - bi;
      q[2 * k + 1] = -(pA[2 * k + 1] + br);
    }
    const r = plan.transform(q);
    for (let n = 0; n <= maxP; n++) {
      acf[n] = r[2 * n] / L;
      acf[maxP + 1 + n] = -r[2 * n + 1] / L;
    }
    // Energies from float32 running sums of float32 squares, as librosa's np.cumsum(y**2); the
    // two frames' sums interleave, so the two dependency chains overlap.
    const sA = t * hop;
    const sB = pair ? sA + hop : sA;
    let cA = 0;
    let cB = 0;
    for (let i = 0, n = W + maxP; i <= n; i++) {
      const a = padded[sA + i];
      const b = padded[sB + i];
      cA = Math.fround(cA + Math.fround(a * a));
      cB = Math.fround(cB + Math.fround(b * b));
      energy[i] = cA;
      energyB[i] = cB;
    }
    for (let f = 0; f < (pair ? 2 : 1); f++) {
      const en = f === 0 ? energy : energyB;
      const a0 = f * (maxP + 1);
      let e0 = Math.fround(en[W] - en[0]);
      if (Math.abs(e0) < 1e-6) e0 = 0;
      // d[τ] = e[0] + e[τ] − 2·acf[τ] (values below 1e-6 zeroed first, as librosa does), and the
      // cumulative mean normalised difference d[τ] / (Σ_{u≤τ} d[u] / τ).
      let cum = 0;
      const o = (t + f) * lags - minP;
      for (let tau = 1; tau <= maxP; tau++) {
        let e = Math.fround(en[W + tau] - en[tau]);
        if (Math.abs(e) < 1e-6) e = 0;
        let a = acf[a0 + tau];
        if (Math.abs(a) < 1e-6) a = 0;
        const d = Math.fround(e0 + e) - 2 * a;
        cum += d;
        if (tau >= minP) out[o + tau] = d / (cum / tau + TINY);
      }
    }
  }
  return { d: out, frames, lags };
}

/** librosa's parabolic interpolation stencil over lags: the offset of the vertex, 0 at the ends. */
function parabolicShift(d: Float64Array, o: number, lags: number, i: number): number {
  if (i === 0 || i === lags - 1) return 0;
  const a = d[o + i + 1] + d[o + i - 1] - 2 * d[o + i];
  const b = (d[o + i + 1] - d[o + i - 1]) / 2;
  return Math.abs(b) >= Math.abs(a) ? 0 : -b / a;
}

/** util.localmin with librosa's first-lag rule: lag 0 is a trough when below lag 1. */
function isTrough(d: Float64Array, o: number, lags: number, i: number): boolean {
  if (i === 0) return lags > 1 && d[o] < d[o + 1];
  return d[o + i] < d[o + i - 1] && (i === lags - 1 || d[o + i] <= d[o + i + 1]);
}

/**
 * Fundamental frequency per frame by the YIN algorithm (de Cheveigné & Kawahara, 2002), as
 * `librosa.yin(y, fmin, fmax, sr, frame_length)`: the first dip of the cumulative mean normalised
 * difference below `troughThreshold` (else its lowest point), refined by parabolic interpolation.
 * Every frame gets an estimate, voiced or not; use {@link pyin} for a voicing decision.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, `fmin`, `fmax`, and see {@link YinThresholdOptions}.
 * @returns One f0 per frame, in Hz (float64, as librosa's).
 *
 * @example
 * ```ts
 * const f0 = yin(signal, { sampleRate: 16000, fmin: 50, fmax: 500, frameLength: 1024 });
 * ```
 */
export function yin(signal: Float32Array | Float64Array, options: YinThresholdOptions): Float64Array {
  const fn = 'yin';
  checkKnownOptions(fn, options, [...YIN_KEYS, 'troughThreshold']);
  checkSignal(fn, signal);
  const s = resolveYin(fn, options);
  const threshold = checkNumber(fn, 'troughThreshold', options.troughThreshold ?? 0.1, 'nonnegative');
  const { d, frames, lags } = cmndf(signal, s, fn);
  const f0 = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    const o = t * lags;
    let period = -1;
    let globalMin = 0;
    for (let i = 0; i < lags; i++) {
      if (d[o + i] < d[o + globalMin]) globalMin = i;
      if (period < 0 && d[o + i] < threshold && isTrough(d, o, lags, i)) period = i;
    }
    if (period < 0) period = globalMin;
    f0[t] = s.sampleRate / (s.minPeriod + period + parabolicShift(d, o, lags, period));
  }
  return f0;
}

/** The regularised incomplete beta function I_x(a, b): scipy.stats.beta.cdf. */
function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (Number.isInteger(a) && Number.isInteger(b) && a + b < 200) {
    // Integer shapes: the binomial sum I_x(a, b) = Σ_{j=a}^{n} C(n, j) x^j (1−x)^(n−j), n = a+b−1.
    const n = a + b - 1;
    let sum = 0;
    let c = 1;
    for (let j = 0; j <= n; j++) {
      if (j >= a) sum += c * x ** j * (1 - x) ** (n - j);
      c = (c * (n - j)) / (j + 1);
    }
    return sum;
  }
  // Otherwise the continued fraction (Lentz), on the side where it converges fast.
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const g = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The HMM's transition structure, built once per parameter set (librosa.sequence.transition_local ⊗ transition_loop). */
interface PyinModel {
  nPitch: number;
  /** Sources of destination bin j: bins lo[j] … hi[j] (inclusive). */
  lo: Int32Array;
  hi: Int32Array;
  /** log(T + tiny) within a voicing state and across, `nPitch × nPitch`, destination-major. */
  logStay: Float64Array;
  logSwitch: Float64Array;
  /** The largest entry of each destination's row of logStay / logSwitch. */
  maxStay: Float64Array;
  maxSwitch: Float64Array;
}

const models = new Map<string, PyinModel>();

function pyinModel(nPitch: number, width: number, switchProb: number): PyinModel {
  const key = `${nPitch}:${width}:${switchProb}`;
  const cached = models.get(key);
  if (cached) return cached;
  // scipy.signal.windows.triang(width, sym=True), centred in nPitch and rolled onto each row.
  const win = new Float64Array(width);
  const half = Math.floor((width + 1) / 2);
  for (let n = 1; n <= half; n++) {
    const v = width % 2 === 0 ? (2 * n - 1) / width : (2 * n) / (width + 1);
    win[n - 1] = v;
    win[width - n] = v;
  }
  const lpad = Math.floor((nPitch - width) / 2);
  const trans = new Float64Array(nPitch * nPitch);
  for (let i = 0; i < nPitch; i++) {
    const shift = Math.floor(nPitch / 2) + i + 1;
    const row = trans.subarray(i * nPitch, (i + 1) * nPitch);
    for (let m = 0; m < width; m++) row[(lpad + m + shift) % nPitch] = win[m];
    row.fill(0, Math.min(nPitch, i + Math.floor(width / 2) + 1));
    row.fill(0, 0, Math.max(0, i - Math.floor(width / 2)));
    let sum = 0;
    for (let j = 0; j < nPitch; j++) sum += row[j];
    for (let j = 0; j < nPitch; j++) row[j] /= sum;
  }
  // transition_loop(2, 1 − switchProb): stay 1 − switchProb, switch (1 − stay) / 1.
  const stay = 1 - switchProb;
  const change = 1 - stay;
  const logStay = new Float64Array(nPitch * nPitch);
  const logSwitch = new Float64Array(nPitch * nPitch);
  const lo = new Int32Array(nPitch).fill(nPitch);
  const hi = new Int32Array(nPitch).fill(-1);
  const maxStay = new Float64Array(nPitch).fill(Number.NEGATIVE_INFINITY);
  const maxSwitch = new Float64Array(nPitch).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < nPitch; i++) {
    for (let j = 0; j < nPitch; j++) {
      const v = trans[i * nPitch + j];
      const at = j * nPitch + i;
      logStay[at] = Math.log(stay * v + TINY);
      logSwitch[at] = Math.log(change * v + TINY);
      if (v > 0) {
        if (i < lo[j]) lo[j] = i;
        if (i > hi[j]) hi[j] = i;
        maxStay[j] = Math.max(maxStay[j], logStay[at]);
        maxSwitch[j] = Math.max(maxSwitch[j], logSwitch[at]);
      }
    }
  }
  const model = { nPitch, lo, hi, logStay, logSwitch, maxStay, maxSwitch };
  models.set(key, model);
  return model;
}

/**
 * Probabilistic YIN (Mauch & Dixon, 2014), as `librosa.pyin(y, fmin, fmax, sr, frame_length)`: every
 * dip of the YIN difference function is an f0 candidate, weighted by a beta prior over thresholds
 * and a Boltzmann prior favouring short periods; a hidden Markov model over pitch bins (voiced and
 * unvoiced) is then decoded with Viterbi. The decoding matches librosa's, including its handling of
 * impossible transitions, so voiced flags agree frame for frame.
 *
 * @param signal - Mono samples.
 * @param options - `sampleRate`, `fmin`, `fmax`, and see {@link PyinOptions}.
 * @returns f0 in Hz (NaN when unvoiced), the voiced flag and the voicing probability, per frame.
 *
 * @example
 * ```ts
 * const { f0, voicedFlag } = pyin(signal, { sampleRate: 16000, fmin: 50, fmax: 500, frameLength: 1024 });
 * ```
 */
export function pyin(signal: Float32Array | Float64Array, options: PyinOptions): PyinResult {
  const fn = 'pyin';
  const extra = [
    'nThresholds',
    'betaParameters',
    'boltzmannParameter',
    'resolution',
    'maxTransitionRate',
    'switchProb',
    'noTroughProb',
    'fillNa',
  ];
  checkKnownOptions(fn, options, [...YIN_KEYS, ...extra]);
  checkSignal(fn, signal);
  const s = resolveYin(fn, options);
  const nThresholds = checkInt(fn, 'nThresholds', options.nThresholds ?? 100, 1);
  const beta = options.betaParameters ?? [2, 18];
  if (!Array.isArray(beta) || beta.length !== 2)
    throw invalid(fn, `'betaParameters' must be [a, b], got ${String(beta)}.`);
  checkNumber(fn, 'betaParameters[0]', beta[0], 'positive');
  checkNumber(fn, 'betaParameters[1]', beta[1], 'positive');
  const boltzmann = checkNumber(fn, 'boltzmannParameter', options.boltzmannParameter ?? 2, 'positive');
  const resolution = checkNumber(fn, 'resolution', options.resolution ?? 0.1, 'positive');
  if (!(resolution < 1)) throw invalid(fn, `'resolution' must be in (0, 1), got ${resolution}.`);
  const maxRate = checkNumber(fn, 'maxTransitionRate', options.maxTransitionRate ?? 35.92, 'positive');
  const switchProb = checkNumber(fn, 'switchProb', options.switchProb ?? 0.01, 'positive');
  if (!(switchProb < 1)) throw invalid(fn, `'switchProb' must be in (0, 1), got ${switchProb}.`);
  const noTroughProb = checkNumber(fn, 'noTroughProb', options.noTroughProb ?? 0.01, 'nonnegative');
  const fillNa = options.fillNa === undefined ? Number.NaN : options.fillNa;
  if (fillNa !== null && typeof fillNa !== 'number') throw invalid(fn, `'fillNa' must be a number or null.`);

  const { d, frames, lags } = cmndf(signal, s, fn);

  // Priors: the beta distribution over thresholds i/n (numpy.linspace), as probabilities per step.
  const thresholds = new Float64Array(nThresholds + 1);
  for (let i = 0; i < nThresholds; i++) thresholds[i] = i * (1 / nThresholds);
  thresholds[nThresholds] = 1;
  const betaProbs = new Float64Array(nThresholds);
  let prev = betaCdf(thresholds[0], beta[0], beta[1]);
  for (let i = 0; i < nThresholds; i++) {
    const c = betaCdf(thresholds[i + 1], beta[0], beta[1]);
    betaProbs[i] = c - prev;
    prev = c;
  }
  const binsPerSemitone = Math.ceil(1 / resolution);
  const nPitch = Math.floor(12 * binsPerSemitone * Math.log2(s.fmax / s.fmin)) + 1;
  const nStates = 2 * nPitch;

  // Observation probabilities per frame, and the voicing probability.
  const obs = new Float64Array(frames * nStates);
  const voicedProb = new Float64Array(frames);
  const probs = new Float64Array(lags);
  const troughs: number[] = [];
  const bfExp = Math.exp(-boltzmann);
  for (let t = 0; t < frames; t++) {
    const o = t * lags;
    troughs.length = 0;
    for (let i = 0; i < lags; i++) if (isTrough(d, o, lags, i)) troughs.push(i);
    const row = obs.subarray(t * nStates, (t + 1) * nStates);
    if (troughs.length > 0) {
      probs.fill(0);
      // For threshold i, the below-threshold troughs in period order share the Boltzmann prior.
      for (let i = 0; i < nThresholds; i++) {
        const th = thresholds[i + 1];
        let count = 0;
        for (const j of troughs) if (d[o + j] < th) count++;
        if (count === 0) continue;
        const fact = (1 - bfExp) / (1 - Math.exp(-boltzmann * count));
        let pos = 0;
        for (const j of troughs) {
          if (!(d[o + j] < th)) continue;
          probs[j] += fact * Math.exp(-boltzmann * pos) * betaProbs[i];
          pos++;
        }
      }
      let gm = troughs[0];
      for (const j of troughs) if (d[o + j] < d[o + gm]) gm = j;
      let above = 0;
      for (let i = 0; i < nThresholds; i++) if (!(d[o + gm] < thresholds[i + 1])) above++;
      let tail = 0;
      for (let i = 0; i < above; i++) tail += betaProbs[i];
      probs[gm] += noTroughProb * tail;
      // Each candidate's pitch bin; a later (longer-period) candidate in the same bin overwrites.
      for (const j of troughs) {
        if (probs[j] === 0) continue;
        const period = s.minPeriod + j + parabolicShift(d, o, lags, j);
        const f0 = s.sampleRate / period;
        let bin = rint(12 * binsPerSemitone * Math.log2(f0 / s.fmin));
        bin = Math.min(Math.max(bin, 0), nPitch);
        if (bin < nPitch) row[bin] = probs[j];
      }
    }
    let vp = 0;
    for (let b = 0; b < nPitch; b++) vp += row[b];
    vp = Math.min(Math.max(vp, 0), 1);
    voicedProb[t] = vp;
    row.fill((1 - vp) / nPitch, nPitch);
  }

  // Viterbi over 2·nPitch states.
  const maxSemitones = rint((maxRate * 12 * s.hopLength) / s.sampleRate);
  const model = pyinModel(nPitch, maxSemitones * binsPerSemitone + 1, switchProb);
  const states = viterbi(obs, frames, nStates, model);
  const freqs = new Float64Array(nPitch);
  for (let b = 0; b < nPitch; b++) freqs[b] = s.fmin * 2 ** (b / (12 * binsPerSemitone));
  const f0 = new Float64Array(frames);
  const voicedFlag = new Uint8Array(frames);
  for (let t = 0; t < frames; t++) {
    const voiced = states[t] < nPitch;
    voicedFlag[t] = voiced ? 1 : 0;
    f0[t] = voiced || fillNa === null ? freqs[states[t] % nPitch] : fillNa;
  }
  return { f0, voicedFlag, voicedProb };
}

/**
 * librosa.sequence.viterbi for pYIN's transition structure. Each state's best predecessor is the
 * first maximum of value + log(T + tiny) over all states, as librosa computes it over the dense
 * matrix. Here: over the band where T > 0 directly; a half of the band (voiced or unvoiced
 * sources) is skipped when even its largest value plus the largest transition cannot reach the
 * best found so far, so it could neither win nor tie; and the states outside the band, where
 * log(T + tiny) is log(tiny), are scanned only in the rare case where one of them could win or tie.
 * The choice, ties included, is librosa's, at O(states · band) per frame and often less.
 */
function viterbi(obs: Float64Array, frames: number, nStates: number, m: PyinModel): Uint16Array {
  const N = m.nPitch;
  const { lo, hi, logStay, logSwitch, maxStay, maxSwitch } = m;
  let value = new Float64Array(nStates);
  let next = new Float64Array(nStates);
  const ptr = new Uint16Array(frames * nStates);
  const logObs = new Float64Array(nStates);
  for (let k = 0; k < nStates; k++) {
    const init = k < N ? 0 : 1 / N;
    value[k] = Math.log(obs[k] + TINY) + Math.log(init + TINY);
  }
  // Largest voiced value over each destination's band: a sliding-window maximum, as the bands
  // [lo[j], hi[j]] move right with j.
  const bandMaxV = new Float64Array(N);
  const deque = new Int32Array(N);
  const voicedBandMax = () => {
    let head = 0;
    let tail = 0;
    let added = 0;
    for (let j = 0; j < N; j++) {
      for (; added <= hi[j]; added++) {
        while (tail > head && value[deque[tail - 1]] <= value[added]) tail--;
        deque[tail++] = added;
      }
      while (deque[head] < lo[j]) head++;
      bandMaxV[j] = value[deque[head]];
    }
  };
  /** The first maximum of value + log(tiny) outside bins l … h of either half, against (best, arg). */
  const outside = (l: number, h: number, best: number, arg: number): [number, number] => {
    for (let k = 0; k < nStates; k++) {
      const i = k < N ? k : k - N;
      if (i >= l && i <= h) continue;
      const c = value[k] + LOG_TINY;
      if (c > best || (c === best && k < arg)) {
        best = c;
        arg = k;
      }
    }
    return [best, arg];
  };
  for (let t = 1; t < frames; t++) {
    const row = t * nStates;
    // log(obs + tiny) once per distinct value: zero observations and the shared unvoiced one.
    let lastObs = Number.NaN;
    let lastLog = 0;
    for (let k = 0; k < nStates; k++) {
      const o = obs[row + k];
      if (o !== lastObs) {
        lastObs = o;
        lastLog = Math.log(o + TINY);
      }
      logObs[k] = lastLog;
    }
    let globalMax = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < nStates; k++) if (value[k] > globalMax) globalMax = value[k];
    const outsideBound = globalMax + LOG_TINY;
    voicedBandMax();
    for (let j = 0; j < N; j++) {
      const l = lo[j];
      const h = hi[j];
      const r = j * N;
      // Unvoiced sources N+l … N+h, for both destinations (j voiced: switch; j unvoiced: stay).
      let best0 = Number.NEGATIVE_INFINITY;
      let arg0 = -1;
      let best1 = Number.NEGATIVE_INFINITY;
      let arg1 = -1;
      for (let i = l; i <= h; i++) {
        const v = value[N + i];
        const c0 = v + logSwitch[r + i];
        const c1 = v + logStay[r + i];
        if (c0 > best0) {
          best0 = c0;
          arg0 = N + i;
        }
        if (c1 > best1) {
          best1 = c1;
          arg1 = N + i;
        }
      }
      // Voiced sources l … h come first in index order, so they win ties; skipped when even the
      // largest of them plus the largest transition stays below the unvoiced best.
      const scan0 = bandMaxV[j] + maxStay[j] >= best0;
      const scan1 = bandMaxV[j] + maxSwitch[j] >= best1;
      if (scan0 || scan1) {
        let v0 = Number.NEGATIVE_INFINITY;
        let a0 = -1;
        let v1 = Number.NEGATIVE_INFINITY;
        let a1 = -1;
        for (let i = l; i <= h; i++) {
          const v = value[i];
          const c0 = v + logStay[r + i];
          const c1 = v + logSwitch[r + i];
          if (c0 > v0) {
            v0 = c0;
            a0 = i;
          }
          if (c1 > v1) {
            v1 = c1;
            a1 = i;
          }
        }
        if (v0 >= best0) {
          best0 = v0;
          arg0 = a0;
        }
        if (v1 >= best1) {
          best1 = v1;
          arg1 = a1;
        }
      }
      // Outside the band T = 0: a candidate there is value + log(tiny) ≤ globalMax + log(tiny).
      if (outsideBound >= best0) [best0, arg0] = outside(l, h, best0, arg0);
      if (outsideBound >= best1) [best1, arg1] = outside(l, h, best1, arg1);
      ptr[row + j] = arg0;
      next[j] = logObs[j] + best0;
      ptr[row + N + j] = arg1;
      next[N + j] = logObs[N + j] + best1;
    }
    [value, next] = [next, value];
  }
  const states = new Uint16Array(frames);
  let last = 0;
  for (let k = 1; k < nStates; k++) if (value[k] > value[last]) last = k;
  states[frames - 1] = last;
  for (let t = frames - 2; t >= 0; t--) states[t] = ptr[(t + 1) * nStates + states[t + 1]];
  return states;
}
