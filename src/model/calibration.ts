import { SpeechEmotionError } from '../errors.js';

/**
 * How a model's probabilities are calibrated, stored with it (`model.calibration`).
 *
 * Temperature scaling (Guo et al., 2017): each probability vector `p` becomes `p^(1/T)`, renormalised
 * (for a single network that is `softmax(logits / T)`; for an ensemble, of the log of the averaged
 * probabilities). T > 1 softens over-confident scores, T < 1 sharpens timid ones; the most likely
 * label never changes.
 */
export interface Calibration {
  /** The temperature T (> 0). */
  temperature: number;
  /**
   * A labelled prediction whose top (calibrated) score is under this gets `uncertain: true`.
   * Default 0.5: below it, a calibrated model expects to be wrong more often than right.
   */
  uncertainBelow: number;
  /** Where T was learnt, in words (e.g. "cross-validation on dev-folds.json, 1560 clips"). */
  fittedOn?: string;
  /**
   * Audio unlike the training recordings (`speech-emotion calibrate --across` learns it; the model
   * needs a familiarity detector, which `train` fits): a recording whose familiarity distance is
   * above `above` gets `temperature` instead of the one above, and `unfamiliar: true`.
   */
  unfamiliar?: UnfamiliarCalibration;
}

/** The temperature of unfamiliar audio and where it starts ({@link Calibration.unfamiliar}). */
export interface UnfamiliarCalibration {
  /** Familiarity distance (in units of the training recordings' median) beyond which audio is unfamiliar. */
  above: number;
  /** The temperature such audio gets (> 0). */
  temperature: number;
}

/** The default {@link Calibration.uncertainBelow}. */
export const UNCERTAIN_BELOW = 0.5;

function checkPairs(fn: string, probabilities: ArrayLike<number>[], truth: number[]): void {
  if (!Array.isArray(probabilities) || probabilities.length === 0 || probabilities.length !== truth.length)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: give one probability vector per true label (got ${probabilities?.length} and ${truth?.length}).`,
    );
  const k = probabilities[0].length;
  for (const [i, p] of probabilities.entries()) {
    if (p.length !== k || !(truth[i] >= 0 && truth[i] < k && Number.isInteger(truth[i])))
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        `${fn}: row ${i} has ${p.length} probabilities and true class ${truth[i]}; every row needs ${k} and a class in 0…${k - 1}.`,
      );
    for (let j = 0; j < k; j++)
      if (!(p[j] >= 0) || !Number.isFinite(p[j]))
        throw new SpeechEmotionError('INVALID_OPTION', `${fn}: row ${i} holds ${p[j]}, not a probability.`);
  }
}

/**
 * `p^(1/T)`, renormalised to sum 1, computed in the log domain. Probabilities under 1e-12 (a float32
 * softmax that underflowed) count as 1e-12, as `softmax(logits / T)` would give them some weight.
 */
export function applyTemperature(p: ArrayLike<number>, temperature: number): Float64Array {
  const out = new Float64Array(p.length);
  const logs = Array.from(p, (v) => Math.log(Math.max(v, 1e-12)));
  const top = Math.max(...logs);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    out[i] = Math.exp((logs[i] - top) / temperature);
    s += out[i];
  }
  for (let i = 0; i < p.length; i++) out[i] /= s;
  return out;
}

/** Mean negative log-likelihood of the true classes after temperature `t`. */
function nll(probabilities: ArrayLike<number>[], truth: number[], t: number): number {
  let sum = 0;
  for (const [i, p] of probabilities.entries())
    sum -= Math.log(Math.max(applyTemperature(p, t)[truth[i]], 1e-12));
  return sum / probabilities.length;
}

/**
 * The temperature that minimises the negative log-likelihood of held-out predictions (their true
 * classes `truth`, as indices into each vector). The loss is convex in 1/T; a golden-section search
 * over 1/T in [0.05, 20] finds it to 1e-4.
 *
 * Fit it on predictions for recordings the model did not train on (cross-validation folds), never on
 * its training data, where every network is over-confident.
 *
 * @example
 * ```ts
 * const t = fitTemperature([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], [0, 1, 1]);
 * ```
 */
export function fitTemperature(probabilities: ArrayLike<number>[], truth: number[]): number {
  checkPairs('fitTemperature', probabilities, truth);
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = 0.05;
  let hi = 20;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = nll(probabilities, truth, 1 / a);
  let fb = nll(probabilities, truth, 1 / b);
  while (hi - lo > 1e-4) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = nll(probabilities, truth, 1 / a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = nll(probabilities, truth, 1 / b);
    }
  }
  return 1 / ((lo + hi) / 2);
}

/**
 * Expected calibration error: predictions are grouped by their top probability into `bins` equal
 * bins; ECE is the average, weighted by bin size, of |accuracy − mean top probability| per bin.
 * 0 means the scores mean what they say.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>[],
  truth: number[],
  options: { bins?: number } = {},
): number {
  checkPairs('expectedCalibrationError', probabilities, truth);
  const bins = options.bins ?? 15;
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  for (const [i, p] of probabilities.entries()) {
    let best = 0;
    for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
    const bin = Math.min(bins - 1, Math.floor(p[best] * bins));
    count[bin]++;
    confidence[bin] += p[best];
    if (best === truth[i]) correct[bin]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++)
    if (count[b]) ece += Math.abs(correct[b] - confidence[b]) / probabilities.length;
  return ece;
}

/**
 * Checks a calibration given to a model: a positive temperature, a threshold in [0, 1], and
 * `unfamiliar` only for a model with a familiarity detector (`detector`). @internal
 */
export function checkCalibration(fn: string, c: unknown, detector: boolean): Calibration {
  const v = c as Calibration;
  if (v?.unfamiliar && !detector)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: 'unfamiliar' needs the model's familiarity detector: fitFamiliarity first.`,
    );
  const u = v?.unfamiliar as UnfamiliarCalibration | undefined;
  if (
    typeof v !== 'object' ||
    v === null ||
    !(v.temperature > 0 && Number.isFinite(v.temperature)) ||
    !(v.uncertainBelow >= 0 && v.uncertainBelow <= 1) ||
    (v.fittedOn !== undefined && typeof v.fittedOn !== 'string') ||
    (u !== undefined &&
      (typeof u !== 'object' ||
        u === null ||
        !(u.above >= 0 && Number.isFinite(u.above)) ||
        !(u.temperature > 0 && Number.isFinite(u.temperature))))
  )
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: a calibration is { temperature > 0, uncertainBelow in [0, 1], fittedOn?, unfamiliar?: { above >= 0, temperature > 0 } }, got ${JSON.stringify(c)}.`,
    );
  const known = ['temperature', 'uncertainBelow', 'fittedOn', 'unfamiliar'];
  const extra = [
    ...Object.keys(v).filter((k) => !known.includes(k)),
    ...Object.keys(u ?? {}).filter((k) => !['above', 'temperature'].includes(k)),
  ];
  if (extra.length)
    throw new SpeechEmotionError('INVALID_OPTION', `${fn}: unknown calibration field '${extra[0]}'.`);
  return {
    temperature: v.temperature,
    uncertainBelow: v.uncertainBelow,
    ...(v.fittedOn ? { fittedOn: v.fittedOn } : {}),
    ...(u ? { unfamiliar: { above: u.above, temperature: u.temperature } } : {}),
  };
}
