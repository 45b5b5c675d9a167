import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmotionModel, computeFeatures, defineFeatureSpec, resample } from '../src/index.js';
import { useBackend } from '../src/node.js';
import { lcg, syllabic } from './helpers/signals.js';

tf.env().set('PROD', true);

// One second analysed from where the sound starts, as the bundled model analyses three.
const SPEC = defineFeatureSpec({
  trim: { topDb: 60 },
  duration: { offset: 0, seconds: 1 },
  features: { type: 'mfcc', options: { nMfcc: 4 } },
  output: { type: 'series' },
});

/** `lead` s of silence, `sound` s of a syllabic noisy tone, `tail` s of silence, at 16 kHz. */
function recording(lead: number, sound: number, tail: number): Float32Array {
  const r = lcg(5);
  const voice = syllabic(
    Float32Array.from(
      { length: Math.round(sound * 16000) },
      (_, t) => 0.3 * Math.sin(t / 9) + 0.05 * (r() - 0.5),
    ),
    16000,
  );
  const x = new Float32Array(Math.round((lead + sound + tail) * 16000));
  x.set(voice, Math.round(lead * 16000));
  return x;
}

describe('a prediction says which part of the recording the model analysed, when sound went unheard', () => {
  let model: EmotionModel;
  beforeAll(async () => {
    await useBackend('cpu');
    const { frames, features } = computeFeatures(recording(0, 1, 0), 16000, SPEC);
    model = await EmotionModel.create({
      labels: ['a', 'b'],
      featureSpec: SPEC,
      inputShape: [frames, features],
      architecture: 'mlp',
    });
  });
  afterAll(() => model.dispose());

  it('gives the span analysed and where the sound ends, in seconds of the input, at any rate', async () => {
    const x = recording(0.5, 4, 0.5);
    const p = await model.predict(x, { sampleRate: 16000 });
    expect(p.label).not.toBeNull();
    const a = p.analysed as NonNullable<typeof p.analysed>;
    // The trim's frames are 2048 samples (128 ms) every 512 at 16 kHz.
    expect(Math.abs(a.start - 0.5)).toBeLessThan(0.13);
    expect(a.end - a.start).toBeCloseTo(1, 6);
    expect(Math.abs(a.soundEnd - 4.5)).toBeLessThan(0.13);
    const at44 = await model.predict(resample(x, 16000, 44100), { sampleRate: 44100 });
    for (const k of ['start', 'end', 'soundEnd'] as const)
      expect(Math.abs((at44.analysed?.[k] ?? Number.NaN) - a[k]), k).toBeLessThan(0.05);
  });

  it('is absent when at most a second of sound goes unheard, and for withheld labels', async () => {
    expect((await model.predict(recording(0.5, 1.8, 0.5), { sampleRate: 16000 })).analysed).toBeUndefined();
    const [long, short, silent] = await model.predictBatch([
      { signal: recording(0, 3, 0), sampleRate: 16000 },
      { signal: recording(0.2, 0.9, 0), sampleRate: 16000 },
      { signal: new Float32Array(32000), sampleRate: 16000 },
    ]);
    expect(long.analysed).toEqual({ start: 0, end: 1, soundEnd: expect.closeTo(3, 1) });
    expect(short.analysed).toBeUndefined();
    expect(silent).toEqual({ label: null, scores: {}, warning: 'silent' });
  });
});
