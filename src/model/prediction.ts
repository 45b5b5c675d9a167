import { type NoiseMeasures, isNoSpeech, noiseMeasures } from '../dsp/noise.js';
import { fastFftPlan } from '../dsp/simd.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import type { AnalysedSpan } from '../features/prepare.js';
import { type FeatureSpec, computeFeaturesSpan } from '../features/spec.js';
import { type Calibration, UNCERTAIN_BELOW, applyTemperature } from './calibration.js';
import type { Prediction } from './options.js';

/**
 * Validates a label set against a model's labels: a non-empty list of labels the model knows,
 * without repeats, kept in the model's order. `undefined` means every label. @internal
 */
export function resolveLabelSet(
  fn: string,
  labels: unknown,
  modelLabels: readonly string[],
): string[] | undefined {
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels) || labels.length === 0 || labels.some((l) => typeof l !== 'string'))
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: 'labels' must be a non-empty list of label names.`,
    );
  const unknown = labels.filter((l) => !modelLabels.includes(l));
  if (unknown.length)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `${fn}: 'labels' names ${unknown.map((l) => `'${l}'`).join(', ')}, which the model does not know. Its labels: ${modelLabels.join(', ')}.`,
    );
  return modelLabels.filter((l) => labels.includes(l));
}

/**
 * The label and scores of one probability vector, restricted to `allowed` (renormalised to sum 1)
 * when given: the argmax among the allowed labels, the first in the model's order on a tie. @internal
 */
export function scoresOf(
  probs: ArrayLike<number>,
  modelLabels: readonly string[],
  allowed: readonly string[] | undefined,
): { label: string; scores: Record<string, number> } {
  let total = 0;
  for (let i = 0; i < modelLabels.length; i++)
    if (!allowed || allowed.includes(modelLabels[i])) total += probs[i];
  const scale = allowed && total > 0 ? 1 / total : 1;
  const scores: Record<string, number> = {};
  let label = '';
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < modelLabels.length; i++) {
    const l = modelLabels[i];
    if (allowed && !allowed.includes(l)) continue;
    scores[l] = allowed ? (total > 0 ? probs[i] * scale : 1 / allowed.length) : probs[i];
    if (probs[i] > best) {
      best = probs[i];
      label = l;
    }
  }
  return { label, scores };
}

/**
 * A labelled prediction from the network's probabilities: the model's temperature applied (when it
 * has a calibration), restricted to `allowed`, and `uncertain` when the top score is under the
 * calibration's threshold (0.5 without one). With a calibration that tells unfamiliar audio and the
 * recording's familiarity `distance`, a recording beyond its threshold gets its temperature and
 * `unfamiliar: true`. The one place predict and the CLI turn probabilities into a prediction. @internal
 */
export function labelledPrediction(
  probs: ArrayLike<number>,
  modelLabels: readonly string[],
  allowed: readonly string[] | undefined,
  calibration: Calibration | undefined,
  distance?: number,
): { label: string; scores: Record<string, number>; uncertain: boolean; unfamiliar?: boolean } {
  const detector = calibration?.unfamiliar;
  const unfamiliar = detector && distance !== undefined ? distance > detector.above : undefined;
  const t = (unfamiliar ? detector?.temperature : calibration?.temperature) ?? 1;
  const scored = scoresOf(t === 1 ? probs : applyTemperature(probs, t), modelLabels, allowed);
  return {
    ...scored,
    uncertain: scored.scores[scored.label] < (calibration?.uncertainBelow ?? UNCERTAIN_BELOW),
    ...(unfamiliar === undefined ? {} : { unfamiliar }),
  };
}

/** A prediction with no label, and why. */
export interface Withheld {
  label: null;
  scores: Record<string, never>;
  warning: 'silent' | 'too-short' | 'no-speech';
}

/**
 * The one rule for when a recording gets no label instead of a guess: computeFeatures refused it
 * as silent (`code` SILENT_AUDIO) or too short (SIGNAL_TOO_SHORT), or the no-speech check finds
 * no speech in it (`noise`: broadband noise or a steady sound, {@link isNoSpeech}). `null` when it
 * gets a label. @internal
 */
export function withheld(code: string | undefined, noise?: NoiseMeasures): Withheld | null {
  const none = (warning: Withheld['warning']): Withheld => ({ label: null, scores: {}, warning });
  if (code === 'SILENT_AUDIO') return none('silent');
  if (code === 'SIGNAL_TOO_SHORT') return none('too-short');
  if (noise !== undefined && isNoSpeech(noise)) return none('no-speech');
  return null;
}

/** Sound left unheard after the analysed part, in seconds, from which a prediction says so. */
const UNHEARD_SECONDS = 1;

/** A recording's features and where they come from, or the prediction that withholds its label. @internal */
export function featuresOrWithheld(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  spec: FeatureSpec,
): Withheld | { features: FeatureMatrix; span: AnalysedSpan } {
  try {
    const heard = computeFeaturesSpan(signal, sampleRate, spec, fastFftPlan);
    return withheld(undefined, noiseMeasures(signal, sampleRate)) ?? heard;
  } catch (e) {
    const none = e instanceof SpeechEmotionError ? withheld(e.code) : null;
    if (none) return none;
    throw e;
  }
}

/** `p`, with `analysed` when the sound went on for over {@link UNHEARD_SECONDS} after the analysed part. @internal */
export function withSpan<P extends Prediction>(p: P, span: AnalysedSpan | undefined): P {
  if (!span || !(span.soundEnd - span.end > UNHEARD_SECONDS)) return p;
  const s = (t: number) => Math.round(t * 1000) / 1000;
  return { ...p, analysed: { start: s(span.start), end: s(span.end), soundEnd: s(span.soundEnd) } };
}
