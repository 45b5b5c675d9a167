import { readFileSync } from 'node:fs';
import { perturbAudio } from '../audio/augment.js';
import { monoOf } from '../audio/mono.js';
import type { DecodedAudio } from '../audio/wav.js';
import { realFftPlan } from '../dsp/fft.js';
import { type NoiseMeasures, noiseMeasures } from '../dsp/noise.js';
import { fastFftPlan } from '../dsp/simd.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { SpeechEmotionError } from '../errors.js';
import type { AnalysedSpan } from '../features/prepare.js';
import { type FeatureSpec, computeFeaturesSpan } from '../features/spec.js';
import { decodeAudioBytes, decodeBuiltIn, unreadable } from './audio-file.js';
import type { ExtractOptions } from './extract.js';

/** What extracting one file gives: features, or the reason it was dropped. @internal */
export type FileResult =
  | {
      ok: true;
      features: FeatureMatrix;
      seconds: number;
      audioHash: string;
      noise?: NoiseMeasures;
      /** Where in the recording the features come from. */
      span?: AnalysedSpan;
      /** What was read despite damage, and a mix whose channels cancel out. */
      warnings?: string[];
    }
  | { ok: false; code: string; message: string };

/** FNV-1a over the decoded samples' bits: equal audio, equal hash (duplicates under other names). */
function hashSamples(x: Float32Array): string {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ x.length;
  for (let i = 0; i < u.length; i++) {
    h1 = Math.imul(h1 ^ u[i], 16777619);
    h2 = Math.imul(h2 ^ (u[i] >>> 7), 2246822519);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** What {@link processFile} does besides featurising: these options of extractItems. @internal */
export type ProcessOptions = Pick<ExtractOptions, 'perturb' | 'forPredict' | 'channel'>;

/**
 * Reads, decodes and featurises one file; never throws for bad audio. Reads synchronously: it runs
 * in a worker thread (or a batch loop) where blocking for one small file costs less than a
 * thread-pool round trip. @internal
 */
export function processFile(
  path: string,
  spec: FeatureSpec,
  options: ProcessOptions = {},
): FileResult | Promise<FileResult> {
  try {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      const { code, message } = unreadable('the file', e);
      return { ok: false, code, message };
    }
    // WAV and AIFF stay synchronous (the common, fast case); other containers go through audio-decode.
    const builtIn = decodeBuiltIn(bytes, path);
    if (builtIn) return featurise(builtIn, spec, options);
    return decodeAudioBytes(bytes, path).then(
      (audio) => featurise(audio, spec, options),
      (e: unknown) => failure(e),
    );
  } catch (e) {
    return failure(e);
  }
}

function failure(e: unknown): FileResult {
  if (e instanceof SpeechEmotionError)
    return { ok: false, code: e.code, message: e.message.replace(/^\w+: /, '') };
  return { ok: false, code: 'INTERNAL', message: String((e as Error)?.message ?? e) };
}

function featurise(
  audio: DecodedAudio,
  spec: FeatureSpec,
  { perturb, forPredict, channel }: ProcessOptions,
): FileResult {
  try {
    const { signal: mono, sampleRate, warnings } = monoOf(audio, channel);
    if (mono.length === 0) return { ok: false, code: 'EMPTY_SIGNAL', message: 'the file holds no samples' };
    // A perturbed copy is seeded by the options' seed and the audio itself, so each file differs.
    const input = perturb
      ? perturbAudio(mono, sampleRate, {
          ...perturb,
          seed: ((perturb.seed ?? 0) ^ Number.parseInt(hashSamples(mono).slice(0, 8), 16)) >>> 0,
        }).signal
      : mono;
    const { features, span } = computeFeaturesSpan(
      input,
      sampleRate,
      spec,
      forPredict ? fastFftPlan : realFftPlan,
    );
    for (let i = 0; i < features.data.length; i++) {
      if (!Number.isFinite(features.data[i]))
        return { ok: false, code: 'NON_FINITE_SAMPLES', message: 'the features are not finite' };
    }
    const result: FileResult = {
      ok: true,
      features,
      seconds: mono.length / sampleRate,
      audioHash: hashSamples(mono),
      span,
    };
    if (forPredict) result.noise = noiseMeasures(input, sampleRate);
    if (warnings) result.warnings = warnings;
    return result;
  } catch (e) {
    return failure(e);
  }
}
