// Probabilistic YIN (librosa.pyin): yin's troughs over a distribution of thresholds give pitch
// candidates with probabilities; a hidden Markov model over pitch bins and voicing picks the track.
import { betaCdf } from './beta.js';
import { rint } from './spectral-shape.js';
import { checkInt, checkKnownOptions, checkNumber, checkSignal, invalid } from './validate.js';
import {
  LOG_TINY,
  TINY,
  YIN_KEYS,
  type YinOptions,
  cmndf,
  isTrough,
  parabolicShift,
  resolveYin,
} from './yin.js';

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

type Prior = { thresholds: Float64Array; betaProbs: Float64Array };
const priors = new Map<string, Prior>();

/** The thresholds i/n (numpy.linspace) and the beta prior's probability of each step; cached. */
function thresholdPrior(n: number, a: number, b: number): Prior {
  const key = `${n}:${a}:${b}`;
  const cached = priors.get(key);
  if (cached) return cached;
  const thresholds = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) thresholds[i] = i * (1 / n);
  thresholds[n] = 1;
  const betaProbs = new Float64Array(n);
  let prev = betaCdf(thresholds[0], a, b);
  for (let i = 0; i < n; i++) {
    const c = betaCdf(thresholds[i + 1], a, b);
    betaProbs[i] = c - prev;
    prev = c;
  }
  priors.set(key, { thresholds, betaProbs });
  return { thresholds, betaProbs };
}

/** Work arrays of {@link addTroughProbs} for frames of `lags` lags, and its Boltzmann factors. */
interface TroughScratch {
  /** fact[c]: the Boltzmann prior's normaliser for c troughs below a threshold. */
  fact: Float64Array;
  /** decay[p]: exp(−boltzmann · p), the weight of the p-th of them in period order. */
  decay: Float64Array;
  /** Trough positions (in the frame's period-ordered list) by value, and which are below the threshold. */
  byValue: Int32Array;
  member: Uint8Array;
  /** The lags of the troughs below the current threshold, in period order. */
  below: Int32Array;
}

function troughScratch(lags: number, boltzmann: number): TroughScratch {
  const fact = new Float64Array(lags + 1);
  const decay = new Float64Array(lags + 1);
  const bfExp = Math.exp(-boltzmann);
  for (let c = 0; c <= lags; c++) {
    fact[c] = (1 - bfExp) / (1 - Math.exp(-boltzmann * c));
    decay[c] = Math.exp(-boltzmann * c);
  }
  return {
    fact,
    decay,
    byValue: new Int32Array(lags),
    member: new Uint8Array(lags),
    below: new Int32Array(lags),
  };
}

/**
 * Adds to `probs` (at the troughs' lags) each trough's probability over the thresholds: for
 * threshold i, the troughs below it share the Boltzmann prior in period order, weighted by the
 * beta prior's step i. Those are a prefix of the troughs by value (insertion-sorted: a frame has
 * few), so the set grows as the thresholds rise instead of being tested at each; every term and
 * the order of the sums are librosa's, so the result is the same to the bit.
 */
function addTroughProbs(
  d: Float64Array,
  o: number,
  troughs: number[],
  probs: Float64Array,
  thresholds: Float64Array,
  betaProbs: Float64Array,
  s: TroughScratch,
): void {
  const n = troughs.length;
  let finite = 0;
  for (let k = 0; k < n; k++) {
    s.member[k] = 0;
    const v = d[o + troughs[k]];
    if (Number.isNaN(v)) continue; // below no threshold
    let at = finite++;
    for (; at > 0 && d[o + troughs[s.byValue[at - 1]]] > v; at--) s.byValue[at] = s.byValue[at - 1];
    s.byValue[at] = k;
  }
  let count = 0;
  let listed = 0;
  for (let i = 0; i < betaProbs.length; i++) {
    const th = thresholds[i + 1];
    while (count < finite && d[o + troughs[s.byValue[count]]] < th) s.member[s.byValue[count++]] = 1;
    if (count === 0) continue;
    if (listed !== count) {
      listed = 0;
      for (let k = 0; k < n; k++) if (s.member[k]) s.below[listed++] = troughs[k];
    }
    const fact = s.fact[count];
    const w = betaProbs[i];
    for (let p = 0; p < count; p++) probs[s.below[p]] += fact * s.decay[p] * w;
  }
}

/**
 * Probabilistic YIN (Mauch & Dixon, 2014), as `librosa.pyin(y, fmin, fmax, sr, frame_length)`: every
 * dip of the YIN difference function is an f0 candidate, weighted by a beta prior over thresholds
 * and a Boltzmann prior favouring short periods; a hidden Markov model over pitch bins (voiced and
 * unvoiced) is then decoded with Viterbi. The decoding matches librosa's, including its handling of
 * impossible transitions, so voiced flags agree frame for frame.
 *
 * Long (about 90 lines) on purpose: one pass over the frames that fills the observation matrix in
 * place, as librosa's vectorised code does, with one call per frame for the thresholds' sums.
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

  const { thresholds, betaProbs } = thresholdPrior(nThresholds, beta[0], beta[1]);
  const binsPerSemitone = Math.ceil(1 / resolution);
  const nPitch = Math.floor(12 * binsPerSemitone * Math.log2(s.fmax / s.fmin)) + 1;
  const nStates = 2 * nPitch;

  // Observation probabilities per frame, and the voicing probability.
  const obs = new Float64Array(frames * nStates);
  const voicedProb = new Float64Array(frames);
  const probs = new Float64Array(lags);
  const troughs: number[] = [];
  const scratch = troughScratch(lags, boltzmann);
  for (let t = 0; t < frames; t++) {
    const o = t * lags;
    troughs.length = 0;
    for (let i = 0; i < lags; i++) if (isTrough(d, o, lags, i)) troughs.push(i);
    const row = obs.subarray(t * nStates, (t + 1) * nStates);
    if (troughs.length > 0) {
      for (const j of troughs) probs[j] = 0;
      addTroughProbs(d, o, troughs, probs, thresholds, betaProbs, scratch);
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
 *
 * One function of about 130 lines, on purpose: the banded max-product recursion is the hot loop of
 * pyin, and keeping its state in local typed arrays in one scope is what lets it run at speed.
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
