import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { acrossCalibration } from '../src/cli/calibrate-across.js';
import { main } from '../src/cli/main.js';
import {
  EmotionModel,
  type FeatureRow,
  SpeechEmotionError,
  applyTemperature,
  computeFeatures,
  expectedCalibrationError,
} from '../src/index.js';
import {
  familiarityDistances,
  familiarityTables,
  fitFamiliarityTables,
  quantile,
} from '../src/model/familiarity.js';
import { useBackend } from '../src/node.js';
import { STATS_SPEC, smallModel } from './helpers/models.js';
import { lcg, syllabicTone } from './helpers/signals.js';

tf.env().set('PROD', true);

/** A standard normal draw (Box–Muller) from a uniform generator. */
const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    return e instanceof SpeechEmotionError ? e.code : String(e);
  }
  return 'no error';
}

/** The inverse of a 3 × 3 matrix by cofactors: an independent check of the triangular solves. */
function inverse3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

describe('the familiarity detector (Mahalanobis distance to the nearest class mean)', () => {
  const r = lcg(11);
  const classes = Array.from({ length: 300 }, (_, i) => i % 3);
  const centres = [
    [0, 0, 0],
    [4, 0, 1],
    [0, 5, -2],
  ];
  const embeddings = classes.map((k) => centres[k].map((c, j) => c + (j + 1) * normal(r) + 0.5 * normal(r)));

  it('matches a direct computation with the shrunk covariance, in units of the training median', () => {
    const { familiarity, tables } = fitFamiliarityTables(embeddings, classes, 0.1);
    const d = 3;
    const means = [0, 1, 2].map((k) => {
      const own = embeddings.filter((_, i) => classes[i] === k);
      return [0, 1, 2].map((j) => own.reduce((a, e) => a + e[j], 0) / own.length);
    });
    const cov = [0, 1, 2].map((a) =>
      [0, 1, 2].map(
        (b) =>
          embeddings.reduce(
            (s, e, i) => s + (e[a] - means[classes[i]][a]) * (e[b] - means[classes[i]][b]),
            0,
          ) / embeddings.length,
      ),
    );
    const trace = cov[0][0] + cov[1][1] + cov[2][2];
    const shrunk = cov.map((row, a) => row.map((v, b) => 0.9 * v + (a === b ? (0.1 * trace) / d : 0)));
    const inv = inverse3(shrunk);
    const raw = (e: number[]) =>
      Math.sqrt(
        Math.min(
          ...means.map((m) => {
            const v = e.map((x, j) => x - m[j]);
            return v.reduce((s, vi, a) => s + vi * v.reduce((t, vj, b) => t + inv[a][b] * vj, 0), 0);
          }),
        ),
      );
    const median = embeddings.map(raw).sort((a, b) => a - b)[150];
    const probes = [embeddings[0], embeddings[7], [10, -10, 10], [2, 2, 0]];
    const got = familiarityDistances(tables, probes);
    probes.forEach((p, i) => expect(got[i]).toBeCloseTo(raw(p) / median, 4));
    expect(familiarity.scale).toBeCloseTo(median, 4);
    // Half the training points lie within 1; a far point lies well beyond them.
    const own = familiarityDistances(tables, embeddings);
    expect(quantile(own, 0.5)).toBeCloseTo(1, 6);
    expect(got[2]).toBeGreaterThan(quantile(own, 0.99) * 2);
    // What is stored (float32, base64) gives the same distances.
    const back = familiarityDistances(familiarityTables('test', familiarity), probes);
    back.forEach((v, i) => expect(v).toBe(got[i]));
  });

  it('refuses embeddings that do not vary, and damaged stored detectors', async () => {
    expect(
      await codeOf(() =>
        fitFamiliarityTables(
          [
            [1, 2],
            [1, 2],
            [1, 2],
          ],
          [0, 1, 0],
        ),
      ),
    ).toBe('INVALID_OPTION');
    expect(await codeOf(() => fitFamiliarityTables([[1, 2]], [0]))).toBe('INVALID_OPTION');
    const { familiarity } = fitFamiliarityTables(embeddings, classes);
    for (const damaged of [
      { ...familiarity, dimension: 4 },
      { ...familiarity, means: familiarity.means.slice(8) },
      { ...familiarity, factor: '!!!' },
      { ...familiarity, scale: -1 },
      null,
    ])
      expect(await codeOf(() => familiarityTables('load', damaged))).toBe('INVALID_MODEL');
  });
});

describe('acrossCalibration (threshold and temperature of unfamiliar audio)', () => {
  /** Clips over k labels, reported as softmax(z · sharpen) while drawn from softmax(z); distances from `distance`. */
  function clips(n: number, sharpen: number, seed: number, distance: () => number, member = sharpen) {
    const r = lcg(seed);
    const soft = (z: number[], s: number) => {
      const e = z.map((v) => Math.exp(v * s));
      const t = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / t);
    };
    return Array.from({ length: n }, () => {
      const z = [0, 1, 2, 3].map(() => 3 * r());
      const p = soft(z, 1);
      let u = r();
      let y = 0;
      while (y < 3 && u > p[y]) u -= p[y++];
      return {
        label: 'abcd'[y],
        probs: soft(z, sharpen),
        memberProbs: soft(z, member),
        distance: distance(),
      };
    });
  }
  const labels = ['a', 'b', 'c', 'd'];

  it('flags the other corpus beyond the 95th percentile of held-out speakers and softens it', () => {
    const r = lcg(5);
    // Held-out speakers: familiar (distance 0.5–1.5), over-confident by 1.5. The other corpus: mostly
    // far (2–4), over-confident by 5.
    const speaker = [1, 2, 3].map((f) => ({
      name: `fold${f}`,
      labels,
      clips: clips(600, 1.5, f, () => 0.5 + r()),
    }));
    const loco = [7, 8].map((f) => ({
      name: `corpus/${f}`,
      labels,
      clips: clips(600, 5, f, () => 2 + 2 * r()),
    }));
    const report = acrossCalibration(speaker, loco, { temperature: 1.5, uncertainBelow: 0.5 });
    const held = speaker.flatMap((f) => f.clips.map((c) => c.distance));
    expect(report.above).toBe(quantile(held, 0.95));
    expect(report.above).toBeGreaterThan(1.3);
    expect(report.above).toBeLessThan(1.5);
    // The first member's T2 / T1 is about 5 / 1.5, carried over to the model's temperature.
    expect(report.memberTemperatures.familiar).toBeCloseTo(1.5, 0);
    expect(report.temperature / 1.5).toBeCloseTo(
      report.memberTemperatures.unfamiliar / report.memberTemperatures.familiar,
      6,
    );
    expect(report.memberTemperatures.unfamiliar).toBeGreaterThan(4);
    for (const f of report.otherCorpus) {
      expect(f.unfamiliarShare).toBe(1);
      expect(f.eceAfter).toBeLessThan(f.eceBefore / 2);
      expect(f.uncertainAfter).toBeGreaterThan(f.uncertainBefore);
    }
    expect(report.speakerFolds.unfamiliarShare).toBeGreaterThan(0.02);
    expect(report.speakerFolds.unfamiliarShare).toBeLessThan(0.08);
    // Only ~5% of the speaker folds' clips move: their calibration error barely changes.
    expect(Math.abs(report.speakerFolds.eceAfter - report.speakerFolds.eceBefore)).toBeLessThan(0.03);
    // 'Before' is each fold at the temperature the others teach (about 1.5): far better than raw.
    const raw = expectedCalibrationError(
      speaker.flatMap((f) => f.clips.map((c) => c.probs)),
      speaker.flatMap((f) => f.clips.map((c) => labels.indexOf(c.label))),
    );
    expect(report.speakerFolds.eceBefore).toBeLessThan(raw / 2);
  });
});

describe('a model with a familiarity detector', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const spec = STATS_SPEC;
  const tone = syllabicTone();
  /** Rows of random stats features around three centres. */
  function rowsOf(n: number, seed: number, spread = 1): FeatureRow[] {
    const r = lcg(seed);
    return Array.from({ length: n }, (_, i) => ({
      path: `r${i}`,
      dataset: 'manifest',
      speaker: 'x',
      label: 'abc'[i % 3] as never,
      features: {
        data: Float32Array.from({ length: 26 }, (_, j) => (i % 3) * (j % 5) + spread * normal(r)),
        frames: 1,
        features: 26,
      },
    }));
  }

  /** A calibration at T = 1 whose unfamiliar audio starts at `above` and gets `temperature`. */
  const unfamiliarAt = (above: number, temperature: number) => ({
    temperature: 1,
    uncertainBelow: 0.5,
    unfamiliar: { above, temperature },
  });

  it('fits, measures, flags unfamiliar predictions with their own temperature, and saves it all', async () => {
    const model = await smallModel(3);
    expect(await codeOf(() => model.familiarityOf([]))).toBe('INVALID_OPTION');
    expect(await codeOf(() => model.setCalibration(unfamiliarAt(1, 2)))).toBe('INVALID_OPTION'); // no detector yet
    const train = rowsOf(90, 1);
    await model.fitFamiliarity(train);
    expect(model.familiarity).toMatchObject({ classes: 3, recordings: 90, shrinkage: 0.1 });
    const own = await model.familiarityOf(train.map((t) => t.features));
    expect(quantile(own, 0.5)).toBeCloseTo(1, 5);
    const far = await model.familiarityOf(rowsOf(30, 2, 8).map((t) => t.features));
    expect(quantile(far, 0.5)).toBeGreaterThan(quantile(own, 0.95));
    // Without the calibration's 'unfamiliar', predictions carry no flag.
    model.setCalibration({ temperature: 1, uncertainBelow: 0.5 });
    const plain = await model.predict(tone, { sampleRate: 16000 });
    expect(plain.unfamiliar).toBeUndefined();
    const [distance] = await model.familiarityOf([computeFeatures(tone, 16000, spec)]);
    model.setCalibration(unfamiliarAt(distance + 1, 1000));
    expect(await model.predict(tone, { sampleRate: 16000 })).toMatchObject({
      unfamiliar: false,
      scores: plain.scores,
    });
    model.setCalibration(unfamiliarAt(distance / 2, 1000));
    const flagged = await model.predict(tone, { sampleRate: 16000 });
    expect(flagged.unfamiliar).toBe(true);
    expect(flagged.label).toBe(plain.label);
    const soft = applyTemperature(
      ['a', 'b', 'c'].map((l) => plain.scores[l]),
      1000,
    );
    ['a', 'b', 'c'].forEach((l, i) => expect(flagged.scores[l]).toBeCloseTo(soft[i], 6));
    expect(flagged.uncertain).toBe(true);
    expect(await codeOf(() => model.setCalibration(unfamiliarAt(1, 0)))).toBe('INVALID_OPTION');
    const dir = mkdtempSync(join(tmpdir(), 'se-fam-'));
    try {
      await model.save(dir);
      const back = await EmotionModel.load(dir);
      expect(back.familiarity).toEqual(model.familiarity);
      expect(back.calibration?.unfamiliar).toEqual({ above: distance / 2, temperature: 1000 });
      expect(await back.familiarityOf(train.map((t) => t.features))).toEqual(own);
      expect((await back.predict(tone, { sampleRate: 16000 })).scores).toEqual(flagged.scores);
      back.dispose();
      // A model.json whose detector was damaged does not load.
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      json.userDefinedMetadata.speechEmotion.familiarity.factor = 'AAAA';
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      expect(await codeOf(() => EmotionModel.load(dir))).toBe('INVALID_MODEL');
      // Refitting drops the threshold, which was in the old detector's units; training drops both.
      await model.fitFamiliarity(train.slice(0, 60));
      expect(model.calibration?.unfamiliar).toBeUndefined();
      const again = await smallModel(6);
      await again.fitFamiliarity(train);
      again.setCalibration(unfamiliarAt(1, 2));
      await again.fit(train, { epochs: 1 });
      expect(again.familiarity).toBeUndefined();
      expect(again.calibration).toEqual({ temperature: 1, uncertainBelow: 0.5 });
      expect(await codeOf(() => again.familiarityOf([train[0].features]))).toBe('INVALID_OPTION');
      again.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // An ensemble drops its members' detectors; fitted on it, the detector reads its first member.
    const other = await smallModel(4);
    const both = await EmotionModel.ensemble([model, other]);
    expect(both.familiarity).toBeUndefined();
    const features = train.map((t) => t.features);
    const first = await model.firstMember(features);
    const viaEnsemble = await both.firstMember(features);
    viaEnsemble.probabilities.forEach((p, i) =>
      p.forEach((v, j) => expect(v).toBeCloseTo(first.probabilities[i][j], 5)),
    );
    await both.fitFamiliarity(train);
    await model.fitFamiliarity(train);
    const want = await model.familiarityOf(features);
    const dist = await both.familiarityOf(features);
    dist.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    // Predictions take the ensemble's scores and the distance in one pass of a rebuilt network: the
    // same as the two passes apart.
    both.setCalibration(unfamiliarAt(1, 1));
    const raw = await both.predictFeatures(features);
    const joint = await both.labelFeatures(features);
    expect(joint.filter((p) => p.unfamiliar).length).toBeGreaterThan(0);
    expect(joint.filter((p) => !p.unfamiliar).length).toBeGreaterThan(0);
    joint.forEach((p, i) => {
      expect(p.unfamiliar).toBe(dist[i] > 1);
      ['a', 'b', 'c'].forEach((l, j) => expect(p.scores[l]).toBeCloseTo(raw[i][j], 6));
    });
    // Distances asked for after a prediction (which applied the first member's layers to a new
    // input, giving them a second inbound node) are the same.
    const saved = mkdtempSync(join(tmpdir(), 'se-joint-'));
    try {
      await both.save(saved);
      const loaded = await EmotionModel.load(saved);
      await loaded.labelFeatures(features);
      expect(await loaded.familiarityOf(features)).toEqual(dist);
      loaded.dispose();
    } finally {
      rmSync(saved, { recursive: true, force: true });
    }
    both.dispose();
    other.dispose();
    model.dispose();
  });

  it('a network without a folded form (a custom functional design) flags unfamiliar audio the same way', async () => {
    const design = (inputShape: number[], classes: number) => {
      const x = tfl.input({ shape: inputShape });
      const h = tfl.layers.dense({ units: 8, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
      const y = tfl.layers.dense({ units: classes, activation: 'softmax' }).apply(h) as tfl.SymbolicTensor;
      return tfl.model({ inputs: x, outputs: y });
    };
    const model = await EmotionModel.create({
      labels: ['a', 'b', 'c'],
      featureSpec: spec,
      inputShape: [26],
      architecture: design,
    });
    const train = rowsOf(90, 1);
    await model.fitFamiliarity(train);
    const features = rowsOf(40, 7, 2).map((t) => t.features);
    const dist = await model.familiarityOf(features);
    const above = quantile(dist, 0.5);
    model.setCalibration(unfamiliarAt(above, 1));
    const raw = await model.predictFeatures(features);
    const labelled = await model.labelFeatures(features);
    expect(new Set(labelled.map((p) => p.unfamiliar))).toEqual(new Set([true, false]));
    labelled.forEach((p, i) => {
      expect(p.unfamiliar).toBe(dist[i] > above);
      ['a', 'b', 'c'].forEach((l, j) => expect(p.scores[l]).toBeCloseTo(raw[i][j], 6));
    });
    model.dispose();
  });

  it('calibrate --across learns the threshold from cv-clips.json distances, and refuses files without them', async () => {
    const model = await smallModel(5);
    await model.fitFamiliarity(rowsOf(60, 3));
    const dir = mkdtempSync(join(tmpdir(), 'se-across-'));
    try {
      await model.save(dir);
      const r = lcg(9);
      const fold = (name: string, n: number, base: number) => ({
        name,
        labels: ['a', 'b', 'c'],
        clips: Array.from({ length: n }, (_, i) => {
          // The bonus goes to the true class seven times in ten.
          const k = r() < 0.7 ? i % 3 : Math.floor(3 * r());
          const p = [r(), r(), r()].map((v, j) => v + (j === k ? 1.5 : 0));
          const s = p.reduce((a, b) => a + b, 0);
          return { label: 'abc'[i % 3], probs: p.map((v) => v / s), distance: base + r() };
        }),
      });
      writeFileSync(
        join(dir, 'sf.json'),
        JSON.stringify({ folds: [fold('f1', 90, 0.5), fold('f2', 90, 0.5)] }),
      );
      writeFileSync(
        join(dir, 'loco.json'),
        JSON.stringify({ folds: [fold('c1', 60, 1.2), fold('c2', 60, 1.2)] }),
      );
      const args = ['calibrate', dir, '--from', join(dir, 'sf.json'), '--across', join(dir, 'loco.json')];
      expect(await main(args)).toBe(0);
      const cal = (await EmotionModel.load(dir)).calibration;
      expect(cal?.unfamiliar?.above).toBeGreaterThan(1.3);
      expect(cal?.unfamiliar?.above).toBeLessThan(1.5);
      expect(cal?.fittedOn).toMatch(/unfamiliar audio: 120 clips of leave one corpus out/);
      // cv-clips.json without distances (an older train): a usage error.
      const bare = JSON.parse(readFileSync(join(dir, 'loco.json'), 'utf8'));
      for (const f of bare.folds) for (const c of f.clips) c.distance = undefined;
      writeFileSync(join(dir, 'bare.json'), JSON.stringify(bare));
      expect(await main([...args.slice(0, 4), '--across', join(dir, 'bare.json')])).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    model.dispose();
  });
});
