import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldCalibration } from '../src/cli/calibrate.js';
import { main } from '../src/cli/main.js';
import {
  EmotionModel,
  SpeechEmotionError,
  applyTemperature,
  expectedCalibrationError,
  fitTemperature,
} from '../src/index.js';
import { useBackend } from '../src/node.js';
import { smallModel } from './helpers/models.js';
import { lcg, syllabicTone } from './helpers/signals.js';

tf.env().set('PROD', true);

/**
 * Predictions whose true classes are drawn from softmax(z), reported as softmax(z · sharpen): an
 * over-confident model when sharpen > 1, whose ideal temperature is `sharpen`.
 */
function synthetic(n: number, k: number, sharpen: number, seed: number) {
  const random = lcg(seed);
  const probs: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => 3 * random());
    const e = z.map((v) => Math.exp(v));
    const s = e.reduce((a, b) => a + b, 0);
    let u = random() * s;
    let y = 0;
    while (y < k - 1 && u > e[y]) u -= e[y++];
    truth.push(y);
    const sharp = z.map((v) => Math.exp(v * sharpen));
    const t = sharp.reduce((a, b) => a + b, 0);
    probs.push(sharp.map((v) => v / t));
  }
  return { probs, truth };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof SpeechEmotionError ? e.code : String(e);
  }
  return 'no error';
};

describe('temperature scaling', () => {
  it('recovers the temperature of over- and under-confident predictions', () => {
    for (const sharpen of [0.5, 1, 3]) {
      const { probs, truth } = synthetic(4000, 6, sharpen, 7);
      expect(fitTemperature(probs, truth)).toBeCloseTo(sharpen, 0);
    }
  });
  it('lowers the calibration error of over-confident predictions and keeps the argmax', () => {
    const { probs, truth } = synthetic(3000, 6, 3, 11);
    const t = fitTemperature(probs, truth);
    const scaled = probs.map((p) => applyTemperature(p, t));
    const before = expectedCalibrationError(probs, truth);
    const after = expectedCalibrationError(scaled, truth);
    expect(before).toBeGreaterThan(0.1);
    expect(after).toBeLessThan(before / 3);
    for (const [i, p] of probs.entries()) {
      const q = scaled[i];
      expect(q.indexOf(Math.max(...q))).toBe(p.indexOf(Math.max(...p)));
      expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    }
  });
  it('computes ECE by hand on a small case', () => {
    // Two bins used: 0.9 (right, right, wrong: |2/3 − 0.9|) and 0.6 (right: |1 − 0.6|).
    const p = [
      [0.9, 0.1],
      [0.9, 0.1],
      [0.1, 0.9],
      [0.6, 0.4],
    ];
    const ece = expectedCalibrationError(p, [0, 0, 0, 0], { bins: 10 });
    expect(ece).toBeCloseTo((3 / 4) * Math.abs(2 / 3 - 0.9) + (1 / 4) * 0.4, 10);
  });
  it('refuses mismatched or non-probability input', () => {
    expect(code(() => fitTemperature([[0.5, 0.5]], [0, 1]))).toBe('INVALID_OPTION');
    expect(code(() => fitTemperature([[0.5, 0.5]], [2]))).toBe('INVALID_OPTION');
    expect(code(() => fitTemperature([[Number.NaN, 0.5]], [0]))).toBe('INVALID_OPTION');
    expect(code(() => expectedCalibrationError([], []))).toBe('INVALID_OPTION');
  });
});

describe('foldCalibration (cross-fitted over held-out folds)', () => {
  it('learns the temperature and reports the error before and after', () => {
    const labels = ['a', 'b', 'c', 'd'];
    const folds = [1, 2, 3].map((f) => {
      const { probs, truth } = synthetic(800, 4, 2.5, f);
      return {
        name: `fold${f}`,
        labels,
        clips: probs.map((p, i) => ({ label: labels[truth[i]], probs: p })),
      };
    });
    const r = foldCalibration(folds, labels);
    expect(r.clips).toBe(2400);
    expect(r.temperature).toBeCloseTo(2.5, 0);
    expect(r.eceAfter).toBeLessThan(r.eceBefore / 2);
    // A fold whose model lacked a label (SAVEE without calm) gets 0 for it, in the model's order.
    const partial = foldCalibration(
      [{ name: 'x', labels: ['b', 'a'], clips: [{ label: 'a', probs: [0.2, 0.8] }] }],
      labels,
    );
    expect(partial.clips).toBe(1);
    expect(partial.accuracyCertain + partial.accuracyUncertain).toBe(1);
  });
});

describe('a calibrated model', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const tone = syllabicTone();

  it('applies its temperature in predict, marks uncertain predictions, and keeps it when saved', async () => {
    const model = await smallModel(3);
    const raw = await model.predict(tone, { sampleRate: 16000 });
    expect(typeof raw.uncertain).toBe('boolean');
    model.setCalibration({ temperature: 1000, uncertainBelow: 0.5 });
    const soft = await model.predict(tone, { sampleRate: 16000 });
    expect(soft.label).toBe(raw.label);
    // At T = 1000 the scores are nearly uniform: under 0.5, so uncertain.
    for (const v of Object.values(soft.scores)) expect(v).toBeCloseTo(1 / 3, 1);
    expect(soft.uncertain).toBe(true);
    const expected = applyTemperature(
      ['a', 'b', 'c'].map((l) => raw.scores[l]),
      1000,
    );
    expect(soft.scores.a).toBeCloseTo(expected[0], 6);
    const dir = mkdtempSync(join(tmpdir(), 'se-cal-'));
    try {
      await model.save(dir);
      const back = await EmotionModel.load(dir);
      expect(back.calibration).toEqual({ temperature: 1000, uncertainBelow: 0.5 });
      expect((await back.predict(tone, { sampleRate: 16000 })).scores.a).toBeCloseTo(soft.scores.a, 6);
      back.dispose();
      // The CLI learns it from a cv-clips.json and saves it into the model.
      const labels = ['a', 'b', 'c'];
      const folds = [1, 2].map((f) => {
        const { probs, truth } = synthetic(300, 3, 2, f);
        return { name: `f${f}`, labels, clips: probs.map((p, i) => ({ label: labels[truth[i]], probs: p })) };
      });
      writeFileSync(join(dir, 'cv-clips.json'), JSON.stringify({ recipe: 'x', folds }));
      expect(await main(['calibrate', dir, '--from', join(dir, 'cv-clips.json')])).toBe(0);
      const cal = (await EmotionModel.load(dir)).calibration;
      expect(cal?.temperature).toBeGreaterThan(1.4);
      expect(cal?.fittedOn).toMatch(/600 held-out clips of 2/);
      writeFileSync(join(dir, 'bad.json'), '{"folds": 3}');
      expect(await main(['calibrate', dir, '--from', join(dir, 'bad.json')])).toBe(2); // a usage error
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const other = await smallModel(4);
    const both = await EmotionModel.ensemble([model, other]);
    expect(both.calibration).toBeUndefined(); // a member's temperature is not the ensemble's
    both.dispose();
    other.dispose();
    expect(code(() => model.setCalibration({ temperature: 0, uncertainBelow: 0.5 }))).toBe('INVALID_OPTION');
    expect(code(() => model.setCalibration({ temperature: 1, uncertainBelow: 2 }))).toBe('INVALID_OPTION');
    model.setCalibration(null);
    expect(model.calibration).toBeUndefined();
    model.dispose();
  });
});
