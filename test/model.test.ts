import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EMOTIONS,
  EmotionModel,
  type FeatureRow,
  type FeatureSet,
  type FeatureSpec,
  SpeechEmotionError,
  computeFeatures,
  defineFeatureSpec,
  evaluatePredictions,
  featureSpecHash,
} from '../src/index.js';
import { readMono, useBackend } from '../src/node.js';
import { ROOT, missing, skipNote } from './helpers/data.js';
import { syllabic } from './helpers/signals.js';

// A computed specifier keeps tsc from needing dist/ before the build.
const DIST = '../dist/node.js';

tf.env().set('PROD', true);

describe('evaluatePredictions', () => {
  it('computes accuracy, unweighted accuracy, macro F1 and the confusion matrix', () => {
    const e = evaluatePredictions(['a', 'a', 'a', 'b'], ['a', 'a', 'b', 'b'], ['a', 'b', 'c']);
    expect(e.accuracy).toBe(0.75);
    expect(e.unweightedAccuracy).toBeCloseTo((2 / 3 + 1) / 2, 10); // 'c' absent from the truth
    expect(e.perClass.b).toEqual({ precision: 0.5, recall: 1, f1: 2 / 3, support: 1 });
    expect(e.macroF1).toBeCloseTo((0.8 + 2 / 3) / 2, 10);
    expect(e.confusion.matrix).toEqual([
      [2, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    expect(e.count).toBe(4);
  });
});

/** Two synthetic "emotions": low hum vs bright noise, at random levels and lengths. */
function synthetic(n: number, seed: number): { signal: Float32Array; label: string }[] {
  let s = seed;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: n }, (_, i) => {
    const label = i % 2 ? 'angry' : 'calm';
    const x = new Float32Array(Math.round(16000 * (0.8 + 0.6 * r())));
    const level = 0.05 + 0.3 * r();
    for (let t = 0; t < x.length; t++)
      x[t] =
        level * (label === 'calm' ? Math.sin((2 * Math.PI * (150 + 50 * r()) * t) / 16000) : 2 * r() - 1);
    return { signal: x, label };
  });
}

function rows(data: { signal: Float32Array; label: string }[], spec: FeatureSpec): FeatureRow[] {
  return data.map((d, i) => ({
    path: `s${i}`,
    dataset: 'manifest',
    speaker: 'x',
    label: d.label as never,
    features: computeFeatures(d.signal, 16000, spec),
  }));
}

describe('EmotionModel (synthetic data, any checkout)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  const spec = defineFeatureSpec({
    features: { type: 'mfcc', options: { nMfcc: 13 } },
    output: { type: 'stats', stats: ['mean', 'std'] },
  });

  it('learns a separable problem, predicts at any rate, and flags silence', async () => {
    const model = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: spec,
      inputShape: [26],
      seed: 1,
    });
    const train = rows(synthetic(60, 1), spec);
    const summary = await model.fit(train, {
      epochs: 25,
      batchSize: 16,
      validation: rows(synthetic(20, 2), spec),
    });
    expect(summary.epochs.length).toBeGreaterThan(0);
    const e = await model.evaluate(rows(synthetic(40, 3), spec));
    expect(e.unweightedAccuracy).toBeGreaterThan(0.9);
    const hum = synthetic(1, 5)[0].signal;
    const at48 = syllabic(
      Float32Array.from(
        { length: hum.length * 3 },
        (_, t) => 0.2 * Math.sin((2 * Math.PI * 170 * t) / 48000),
      ),
      48000,
    );
    const p = await model.predict(at48, { sampleRate: 48000 });
    expect(p.label).toBe('calm');
    expect(Object.values(p.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(await model.predict(new Float32Array(16000), { sampleRate: 16000 })).toEqual({
      label: null,
      scores: {},
      warning: 'silent',
    });
    model.dispose();
  });

  it('fit learns the normalisation from normalizationRows when given, so members trained on other rows can be averaged', async () => {
    const a = rows(synthetic(20, 1), spec);
    const b = rows(synthetic(20, 2), spec);
    const fitted = async (train: typeof a, normalizationRows?: typeof a) => {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: spec,
        inputShape: [26],
        seed: 1,
      });
      await m.fit(train, { epochs: 1, ...(normalizationRows ? { normalizationRows } : {}) });
      return m;
    };
    const [onA, onB, onBNormA] = [await fitted(a), await fitted(b), await fitted(b, a)];
    await expect(EmotionModel.ensemble([onA, onB])).rejects.toThrow(
      /differ in labels, FeatureSpec, input shape or normalisation/,
    );
    const ensemble = await EmotionModel.ensemble([onA, onBNormA]);
    await expect(onA.fit(a, { normalizationRows: [] })).rejects.toThrow(
      /'normalizationRows' must be a non-empty array/,
    );
    for (const m of [onA, onB, onBNormA, ensemble]) m.dispose();
  });

  it('fit is repeatable: the same seed gives the same weights, dropout included', async () => {
    const once = async () => {
      const m = await EmotionModel.create({
        labels: ['calm', 'angry'],
        featureSpec: spec,
        inputShape: [26],
        seed: 4,
      });
      await m.fit(rows(synthetic(40, 11), spec), { epochs: 3, batchSize: 8, seed: 9 });
      const w = await Promise.all(m.layersModel.getWeights().map((t) => t.data()));
      m.dispose();
      return w.map((a) => Array.from(a));
    };
    expect(await once()).toEqual(await once());
  });

  it('saves and loads to identical scores; refuses malformed and mismatched models and features', async () => {
    const model = await EmotionModel.create({
      labels: ['calm', 'angry'],
      featureSpec: spec,
      inputShape: [26],
      seed: 2,
    });
    await model.fit(rows(synthetic(30, 7), spec), { epochs: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'se-model-'));
    await model.save(dir);
    const again = await EmotionModel.load(dir);
    const test = rows(synthetic(10, 8), spec).map((r) => r.features);
    const [a, b] = [await model.predictFeatures(test), await again.predictFeatures(test)];
    expect(b.map((p) => Array.from(p))).toEqual(a.map((p) => Array.from(p)));
    expect(again.labels).toEqual(['calm', 'angry']);
    expect(featureSpecHash(again.featureSpec)).toBe(featureSpecHash(spec));

    const code = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        expect(e).toBeInstanceOf(SpeechEmotionError);
        return (e as SpeechEmotionError).code;
      }
      return 'no error';
    };
    // Features made with another spec.
    const other = defineFeatureSpec({ features: { type: 'mfcc', options: { nMfcc: 20 } } });
    const set: FeatureSet = {
      spec: other,
      specHash: featureSpecHash(other),
      columns: [],
      rows: rows(synthetic(4, 9), other),
    };
    expect(await code(() => again.evaluate(set))).toBe('SPEC_MISMATCH');
    // Label sets: the rows' labels must be among them; restricted to one label, every row is it.
    const own = rows(synthetic(6, 11), spec);
    expect(await code(() => again.evaluate(own, { labels: ['calm'] }))).toBe('INVALID_OPTION');
    const onlyCalm = own.filter((r) => r.label === 'calm');
    const e1 = await again.evaluate(onlyCalm, { labels: 'data' });
    expect(e1.confusion.labels).toEqual(['calm']);
    expect(e1.accuracy).toBe(1);
    expect(await code(() => again.predictFeatures(set.rows.map((r) => r.features)))).toBe('SPEC_MISMATCH');
    // Truncated weights, missing metadata, a spec of a future version, a wrong label count.
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'weights.bin'));
    const variant = (mutate: (j: typeof json) => void, w = weights) => {
      const d = mkdtempSync(join(tmpdir(), 'se-bad-'));
      const j = structuredClone(json);
      mutate(j);
      writeFileSync(join(d, 'model.json'), JSON.stringify(j));
      writeFileSync(join(d, 'weights.bin'), w);
      return d;
    };
    expect(await code(() => EmotionModel.load(variant(() => {}, weights.subarray(0, 100))))).toBe(
      'INVALID_MODEL',
    );
    expect(
      await code(() =>
        EmotionModel.load(
          variant((j) => {
            j.userDefinedMetadata = undefined;
          }),
        ),
      ),
    ).toBe('INVALID_MODEL');
    expect(
      await code(() =>
        EmotionModel.load(
          variant((j) => {
            j.userDefinedMetadata.speechEmotion.featureSpec.version = 99;
          }),
        ),
      ),
    ).toBe('SPEC_MISMATCH');
    expect(
      await code(() =>
        EmotionModel.load(variant((j) => j.userDefinedMetadata.speechEmotion.labels.push('sad'))),
      ),
    ).toBe('INVALID_MODEL');
    expect(await code(() => EmotionModel.load(join(dir, 'nope')))).toBe('INVALID_MODEL');
    expect(
      await code(() => EmotionModel.create({ labels: ['a'], featureSpec: spec, inputShape: [26] })),
    ).toBe('INVALID_OPTION');
    expect(
      await code(() =>
        EmotionModel.create({
          labels: ['a', 'b'],
          featureSpec: spec,
          inputShape: [26],
          architecture: 'cnn1d',
        }),
      ),
    ).toBe('INVALID_OPTION');
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
    again.dispose();
  });

  const noBundle = missing('model', 'dist');
  it.skipIf(noBundle)(
    `load() with no argument returns the bundled model, from the sources and from the built package alike${skipNote(noBundle)}`,
    async () => {
      const built = (await import(/* @vite-ignore */ DIST)) as typeof import('../src/node.js');
      const fromSource = await EmotionModel.load();
      const fromDist = await built.EmotionModel.load();
      const card = JSON.parse(readFileSync(join(ROOT, 'models', 'default', 'model.json'), 'utf8'));
      expect(fromSource.labels).toEqual(card.userDefinedMetadata.speechEmotion.labels);
      expect(fromDist.labels).toEqual(fromSource.labels);
      expect(fromDist.featureSpec).toEqual(fromSource.featureSpec);
      const { signal, sampleRate } = await readMono(join(ROOT, 'examples', 'audio', 'sample.wav'));
      const a = await fromSource.predict(signal, { sampleRate });
      const b = await fromDist.predict(signal, { sampleRate });
      expect(EMOTIONS).toContain(a.label);
      expect(b.label).toBe(a.label);
      for (const l of fromSource.labels) expect(b.scores[l]).toBeCloseTo(a.scores[l], 6);
      fromSource.dispose();
      fromDist.dispose();
    },
  );
});
