// Training recipes: the typed JSON that says how a model is made, and trainRecipe.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EmotionModel,
  type FeatureRow,
  type LabelledItem,
  RECIPES,
  type Recipe,
  type RecipeInput,
  SpeechEmotionError,
  computeFeatures,
  defineRecipe,
  labelOrder,
  memberSeed,
  predictionSpec,
  recipeByName,
  speakerFolds,
  trainRecipe,
} from '../src/index.js';
import { recipeFitOptions } from '../src/model/recipe.js';
import { recipeRows, trainingRows, useBackend } from '../src/node.js';
import { encodeWav } from './helpers/wav.js';

tf.env().set('PROD', true);

describe('defineRecipe', () => {
  it('fills in the defaults and completes the FeatureSpec', () => {
    const r = defineRecipe({
      name: 'mine',
      spec: { output: { type: 'series' }, duration: { offset: 0, seconds: 1 } } as never,
    });
    expect(r).toMatchObject({
      version: 1,
      name: 'mine',
      arch: 'crnn',
      epochs: 30,
      batchSize: 32,
      learningRate: 1e-3,
      schedule: 'constant',
      labelSmoothing: 0,
      augment: null,
      audioAugment: null,
      seed: 1,
      ensemble: 1,
    });
    expect(r.spec.sampleRate).toBe(16000);
    expect(defineRecipe({ name: 'stats' }).arch).toBe('mlp'); // the default spec summarises per utterance
    expect(memberSeed(r, 3)).toBe(2001);
    expect(r).not.toHaveProperty('averageEpochs'); // absent unless asked for, so recipes stay as saved
    const averaged = defineRecipe({ name: 'swa', epochs: 20, averageEpochs: 5 });
    expect(averaged.averageEpochs).toBe(5);
    expect(recipeFitOptions(averaged, 1).averageEpochs).toBe(5);
    expect(recipeFitOptions(r, 1)).not.toHaveProperty('averageEpochs');
    expect(r).not.toHaveProperty('classWeights');
    expect(recipeFitOptions(r, 1)).not.toHaveProperty('classWeights');
    const perDataset = defineRecipe({ name: 'pd', classWeights: 'balanced-per-dataset' });
    expect(recipeFitOptions(perDataset, 1).classWeights).toBe('balanced-per-dataset');
    expect(defineRecipe({ name: 'b', classWeights: 'balanced' })).not.toHaveProperty('classWeights');
    expect(r).not.toHaveProperty('weightDecay');
    expect(recipeFitOptions(r, 1)).not.toHaveProperty('weightDecay');
    expect(defineRecipe({ name: 'wd0', weightDecay: 0 })).not.toHaveProperty('weightDecay');
    expect(recipeFitOptions(defineRecipe({ name: 'wd', weightDecay: 0.05 }), 1).weightDecay).toBe(0.05);
    expect(() => defineRecipe({ name: 'wd', weightDecay: 1 })).toThrow(/'weightDecay' must be/);
  });

  it('refuses bad recipes with an error naming the option', () => {
    const bad: [unknown, RegExp][] = [
      [{ name: 'x', epoch: 3 }, /unknown option 'epoch'. Did you mean 'epochs'/],
      [{ epochs: 3 }, /'name' must be a non-empty string/],
      [{ name: 'x', epochs: 0 }, /'epochs' must be a positive integer/],
      [{ name: 'x', ensemble: 1.5 }, /'ensemble' must be a positive integer/],
      [{ name: 'x', arch: 'lstm' }, /'arch' must be one of cnn1d, cnn2d, crnn, mlp/],
      [{ name: 'x', arch: 'cnn1d' }, /'arch' cnn1d does not fit a spec whose output is 'stats'/],
      [{ name: 'x', schedule: 'step' }, /'schedule' must be 'constant' or 'cosine'/],
      [{ name: 'x', labelSmoothing: 1 }, /'labelSmoothing' must be in \[0, 1\)/],
      [
        { name: 'x', classWeights: 'per-class' },
        /'classWeights' must be 'balanced', 'balanced-per-dataset' or 'none'/,
      ],
      [
        {
          name: 'x',
          spec: { output: { type: 'series' } },
          classWeights: 'balanced-per-dataset',
          augment: { mixup: 0.2 },
        },
        /'classWeights' 'balanced-per-dataset' does not combine with 'augment.mixup'/,
      ],
      [
        { name: 'x', epochs: 10, averageEpochs: 11 },
        /'averageEpochs' must be 0 or an integer from 2 to epochs \(10\)/,
      ],
      [{ name: 'x', averageEpochs: 1 }, /'averageEpochs' must be 0 or an integer from 2/],
      [{ name: 'x', audioAugment: { copies: 0 } }, /'audioAugment.copies' must be a positive integer/],
      [{ name: 'x', audioAugment: { copies: 1, pitch: 2 } }, /unknown option 'pitch'/],
      [{ name: 'x', audioAugment: { copies: 1, seed: -1 } }, /'audioAugment.seed' must be an integer ≥ 0/],
      [
        { name: 'x', audioAugment: { copies: 1, perMember: 1 } },
        /'audioAugment.perMember' must be true or false/,
      ],
      [
        { name: 'x', audioAugment: { copies: 1, perMember: true }, distill: { teachers: 2 } },
        /'audioAugment.perMember' does not combine with 'distill'/,
      ],
      [{ name: 'x', augment: { shift: 0.1 } }, /'augment' .* needs a spec with a series output/],
      [{ name: 'x', spec: { deltas: 3 } }, /'deltas' must be 0, 1 or 2/],
      [{ name: 'x', version: 2 }, /version 2 is not supported/],
      [{ name: 'x', distill: { weight: 0.5 } }, /'distill.teachers' must be a positive integer/],
      [{ name: 'x', distill: { teachers: 2, weight: 0 } }, /'distill.weight' must be in \(0, 1\]/],
      [
        { name: 'x', distill: { teachers: 2, temperature: -1 } },
        /'distill.temperature' must be a positive number/,
      ],
      [{ name: 'x', distill: { teachers: 2, alpha: 1 } }, /unknown option 'alpha'/],
      [
        { name: 'x', distill: { teachers: 2, speakerFolds: 1 } },
        /'distill.speakerFolds' must be 0 or an integer ≥ 2/,
      ],
      [[1, 2], /a recipe must be an object/],
    ];
    for (const [recipe, message] of bad) {
      let error: unknown;
      try {
        defineRecipe(recipe as never);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(recipe)).toBeInstanceOf(SpeechEmotionError);
      expect((error as Error).message, JSON.stringify(recipe)).toMatch(message);
    }
  });

  it('predictTrim: completed and checked; the model predicts with it, training rows keep the spec', () => {
    const spec = { duration: { offset: 0, seconds: 1 }, output: { type: 'series' } } as never;
    const plain = defineRecipe({ name: 'plain', spec });
    expect(plain).not.toHaveProperty('predictTrim');
    expect(predictionSpec(plain)).toEqual(plain.spec);
    const r = defineRecipe({
      name: 'lead',
      spec,
      predictTrim: { topDb: 60, leadIn: { topDb: 30, keepSeconds: 0.5 } },
    });
    expect(r.predictTrim).toEqual({ topDb: 60, leadIn: { topDb: 30, keepSeconds: 0.5 } });
    expect(predictionSpec(r)).toEqual({ ...r.spec, trim: r.predictTrim });
    expect(r.spec.trim).toEqual({ topDb: 60 });
    expect(defineRecipe({ name: 'none', spec, predictTrim: null }).predictTrim).toBeNull();
    expect(() => defineRecipe({ name: 'x', spec, predictTrim: { topDb: -3 } as never })).toThrow(
      /Recipe: 'predictTrim': 'trim' must be null or \{ topDb: number > 0/,
    );
    expect(() =>
      defineRecipe({
        name: 'x',
        spec,
        predictTrim: { topDb: 60, leadIn: { topDb: 30, keepSecond: 1 } } as never,
      }),
    ).toThrow(/Recipe: 'predictTrim': .*unknown option 'keepSecond'. Did you mean 'keepSeconds'/);
  });

  it('predictMinPeakDb: checked; the model predicts with it as minPeakDb, training rows keep the spec', () => {
    const spec = { duration: { offset: 0, seconds: 1 }, output: { type: 'series' } } as never;
    expect(defineRecipe({ name: 'plain', spec })).not.toHaveProperty('predictMinPeakDb');
    const r = defineRecipe({ name: 'level', spec, predictMinPeakDb: -47 });
    expect(r.predictMinPeakDb).toBe(-47);
    expect(r.spec).not.toHaveProperty('minPeakDb');
    expect(predictionSpec(r)).toEqual({ ...r.spec, minPeakDb: -47 });
    const both = defineRecipe({ name: 'both', spec, predictMinPeakDb: -40, predictTrim: { topDb: 50 } });
    expect(predictionSpec(both)).toEqual({ ...both.spec, trim: { topDb: 50 }, minPeakDb: -40 });
    // It replaces the spec's own level for prediction; training rows keep the spec's.
    const own = defineRecipe({
      name: 'own',
      spec: { ...(spec as object), minPeakDb: -10 } as never,
      predictMinPeakDb: -40,
    });
    expect([own.spec.minPeakDb, predictionSpec(own).minPeakDb]).toEqual([-10, -40]);
    for (const bad of [0, 6, Number.NaN, '-47'])
      expect(() => defineRecipe({ name: 'x', spec, predictMinPeakDb: bad as number })).toThrow(
        /Recipe: 'predictMinPeakDb' must be a level in dB under 0/,
      );
    // The bundled recipe's level; that it lies under every development recording's peak (RAVDESS's
    // quietest: -46.8 dB) is checked on the data by test/default-model.test.ts.
    expect(recipeByName('default').predictMinPeakDb).toBe(-47);
  });

  it('the built-in recipes are complete recipes; single is one member of default', () => {
    for (const name of Object.keys(RECIPES)) expect(recipeByName(name).name).toBe(name);
    const { name: _d, description: _dd, ensemble: e2, ...def } = recipeByName('default');
    const { name: _s, description: _sd, ensemble: e1, ...single } = recipeByName('single');
    expect(single).toEqual(def);
    expect([e2, e1]).toEqual([4, 1]);
    expect(() => recipeByName('best')).toThrow(
      /no built-in recipe 'best'; the built-in recipes are default, single, fast/,
    );
    expect(() => recipeByName('toString')).toThrow(/no built-in recipe/);
  });
});

describe('recipeRows: the perturbed copies', () => {
  it('are drawn from audioAugment.seed when set, else from the recipe seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'se-copies-'));
    try {
      const items: LabelledItem[] = [1, 2].map((k) => {
        const x = Float32Array.from(
          { length: 16000 },
          (_, i) => 0.3 * Math.sin(i * 0.05 * k) * Math.sin(i / 900),
        );
        const path = join(dir, `a${k}.wav`);
        writeFileSync(path, encodeWav([x], 16000, 'pcm16'));
        return { path, dataset: 'ravdess', label: 'happy', speaker: `0${k}`, meta: {} };
      });
      const rowsWith = async (seed: number, audioSeed?: number, more: Partial<RecipeInput> = {}) => {
        const audioAugment = {
          copies: 1,
          gainDb: [-6, 6] as [number, number],
          noiseSnrDb: [10, 20] as [number, number],
        };
        const recipe = defineRecipe({
          name: 'x',
          seed,
          spec: { duration: { offset: 0, seconds: 1 } } as never,
          audioAugment: audioSeed === undefined ? audioAugment : { ...audioAugment, seed: audioSeed },
          ...more,
        });
        return recipeRows(items, recipe);
      };
      const data = (sets: FeatureRow[][]) => sets.map((c) => c.map((r) => Array.from(r.features.data)));
      const copies = async (...args: Parameters<typeof rowsWith>) => data((await rowsWith(...args)).copies);
      const fromSeed1 = await copies(1);
      expect(fromSeed1).toHaveLength(1);
      expect(await copies(2, 1)).toEqual(fromSeed1); // another network seed, the same copies
      expect(await copies(1, 2)).not.toEqual(fromSeed1);
      expect(await copies(2)).toEqual(await copies(7, 2));

      // perMember: member 1 keeps the shared copies, member 2 draws its own (seeded as its network is).
      const shared = await rowsWith(1, undefined, { ensemble: 2 });
      expect(shared.memberCopies).toHaveLength(1);
      const own = await rowsWith(1, undefined, {
        ensemble: 2,
        audioAugment: { copies: 1, gainDb: [-6, 6], noiseSnrDb: [10, 20], perMember: true },
      });
      expect(own.memberCopies).toHaveLength(2);
      expect(data(own.memberCopies[0])).toEqual(fromSeed1);
      expect(data(own.memberCopies[1])).not.toEqual(fromSeed1);
      expect(data(own.memberCopies[1])).toEqual(await copies(1001));
      expect(trainingRows(own, 2)).toEqual([...own.rows, ...own.memberCopies[1][0]]);
      expect(trainingRows(shared, 2)).toEqual(trainingRows(shared, 1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('labelOrder', () => {
  it('lists the emotions in EMOTIONS order, then other labels alphabetically, each once', () => {
    expect(labelOrder(['sad', 'zebra', 'neutral', 'angry', 'sad', 'boredom'])).toEqual([
      'neutral',
      'sad',
      'angry',
      'boredom',
      'zebra',
    ]);
  });
});

describe('speakerFolds (a folds file, as dev-folds.json)', () => {
  const item = (path: string, dataset: string, speaker: string, label: string) =>
    ({ path, dataset, speaker, label, meta: {} }) as unknown as LabelledItem;
  const items = ['01', '02', '03', '04'].flatMap((s) => [
    item(`r${s}`, 'ravdess', s, 'sad'),
    item(`r${s}b`, 'ravdess', s, 'angry'),
  ]);
  items.push(
    item('sDC', 'savee', 'DC', 'sad'),
    item('sJE', 'savee', 'JE', 'sad'),
    item('tX', 'tess', 'X', 'sad'),
  );
  it('fold N holds out every dataset’s fold N at once and trains on everything else', () => {
    const folds = speakerFolds(items, {
      description: 'ignored',
      ravdess: { fold1: ['01', '02'], fold2: ['03', '04'] },
      savee: { fold1: ['DC'] },
    } as never);
    expect(folds.map((f) => f.name)).toEqual(['fold1', 'fold2']);
    expect(folds[0].testSpeakers).toEqual(['ravdess:01', 'ravdess:02', 'savee:DC']);
    expect(folds[0].train.map((i) => i.path)).toEqual(['r03', 'r03b', 'r04', 'r04b', 'sJE', 'tX']);
    expect(folds[1].testSpeakers).toEqual(['ravdess:03', 'ravdess:04']);
    expect(folds[1].train).toContainEqual(expect.objectContaining({ path: 'sDC' }));
    expect(speakerFolds(items, { ravdess: { fold1: ['01'] } })).toHaveLength(1); // screening on one fold
  });
  it('refuses a fold that matches nothing, and malformed files', () => {
    expect(() => speakerFolds(items, { ravdess: { fold1: ['01'], fold2: ['99'] } })).toThrow(
      /fold fold2 matches no items \(speakers ravdess:99\)/,
    );
    expect(() => speakerFolds(items, { ravdess: { fold1: '01' as never } })).toThrow(/must list speakers/);
    expect(() => speakerFolds(items, { description: 'x' })).toThrow(/names no folds/);
  });
});

describe('trainRecipe', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  function rowsOf(recipe: Recipe, n: number): FeatureRow[] {
    let s = 5;
    const r = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    return Array.from({ length: n }, (_, i) => {
      const label = i % 2 ? 'angry' : 'calm';
      const x = new Float32Array(16000);
      for (let t = 0; t < x.length; t++)
        x[t] = 0.2 * (label === 'calm' ? Math.sin((2 * Math.PI * 180 * t) / 16000) : 2 * r() - 1);
      return {
        path: `c${i}`,
        dataset: 'manifest',
        speaker: `s${i % 4}`,
        label,
        features: computeFeatures(x, 16000, recipe.spec),
      };
    });
  }

  /** A cnn1d on 1 s of 13 MFCCs, two epochs. */
  const tiny = (more: Omit<RecipeInput, 'name'>) =>
    defineRecipe({
      name: 'tiny',
      spec: {
        duration: { offset: 0, seconds: 1 },
        features: { type: 'mfcc', options: { nMfcc: 13 } },
        output: { type: 'series' },
      } as never,
      arch: 'cnn1d',
      epochs: 2,
      batchSize: 8,
      ...more,
    });

  it('trains every member with its seed, averages them, and records the recipe in the saved model', async () => {
    const recipe = tiny({ ensemble: 2 });
    const rows = rowsOf(recipe, 24);
    const seen: string[] = [];
    const model = await trainRecipe(recipe, rows, { onEpochEnd: (m, e) => void seen.push(`${m}:${e}`) });
    expect(seen).toEqual(['1:0', '1:1', '2:0', '2:1']);
    expect(model.labels).toEqual(['calm', 'angry']); // labelOrder: EMOTIONS order, as the bundled model
    expect(model.training?.members).toBe(2);
    expect(model.recipe).toEqual(recipe);
    const dir = mkdtempSync(join(tmpdir(), 'se-recipe-'));
    try {
      await model.save(dir);
      const loaded = await EmotionModel.load(dir);
      expect(loaded.recipe).toEqual(recipe);
      // Member 2 alone is member 2 of the ensemble: the same seed gives the same member.
      const two = await trainRecipe(recipe, rows, { members: [2] });
      const one = await trainRecipe(recipe, rows, { members: [1] });
      const [p, p1, p2] = await Promise.all(
        [loaded, one, two].map((m) => m.predictFeatures(rows.slice(0, 4).map((x) => x.features))),
      );
      for (let i = 0; i < 4; i++)
        for (let k = 0; k < 2; k++) expect(p[i][k]).toBeCloseTo((p1[i][k] + p2[i][k]) / 2, 5);
      for (const m of [loaded, one, two]) m.dispose();
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a model trained from a recipe with predictTrim predicts with it', async () => {
    const recipe = defineRecipe({
      name: 'lead',
      spec: { duration: { offset: 0, seconds: 1 }, output: { type: 'series' } } as never,
      predictTrim: { topDb: 60, leadIn: { topDb: 30, keepSeconds: 0.5 } },
      arch: 'cnn1d',
      epochs: 1,
      batchSize: 8,
    });
    const model = await trainRecipe(recipe, rowsOf(recipe, 8));
    expect(model.featureSpec).toEqual(predictionSpec(recipe));
    expect(model.recipe?.spec.trim).toEqual({ topDb: 60 });
    model.dispose();
  });

  /** The epochs reported by two one-member teachers (or teacher groups), then the kept member. */
  const TWO_TEACHERS_THEN_ONE = [
    'teacher 1:0',
    'teacher 1:1',
    'teacher 2:0',
    'teacher 2:1',
    'member 1:0',
    'member 1:1',
  ];

  /** `trainRecipe`'s model, with every epoch it reported as 'role member:epoch'. */
  async function trainListing(recipe: Recipe, rows: FeatureRow[]) {
    const epochs: string[] = [];
    const model = await trainRecipe(recipe, rows, {
      onEpochEnd: (m, e, _log, role) => void epochs.push(`${role} ${m}:${e}`),
    });
    return { model, epochs };
  }

  it('distils: teachers trained first (the recipe without distill), students seeded after them', async () => {
    const plain = tiny({});
    const recipe = defineRecipe({ ...plain, distill: { teachers: 2, weight: 0.7 } });
    expect(recipe.distill).toEqual({ teachers: 2, weight: 0.7, temperature: 2, speakerFolds: 0 });
    expect(memberSeed(recipe, 1)).toBe(2001);
    expect(plain).not.toHaveProperty('distill'); // recipes without it stay as they were saved
    const rows = rowsOf(recipe, 24);
    const { model: student, epochs } = await trainListing(recipe, rows);
    expect(epochs).toEqual(TWO_TEACHERS_THEN_ONE);
    expect(student.recipe).toEqual(recipe);
    // The same teachers given from outside give the same student; without them, another one.
    const teacher = await trainRecipe({ ...plain, ensemble: 2 }, rows);
    const given = await trainRecipe(recipe, rows, { teacher });
    const undistilled = await trainRecipe({ ...plain, seed: 2001 }, rows);
    const some = rows.slice(0, 6).map((x) => x.features);
    const [p, q, u] = await Promise.all([student, given, undistilled].map((m) => m.predictFeatures(some)));
    expect(q).toEqual(p);
    expect(u).not.toEqual(p);
    await expect(trainRecipe(recipe, rows.slice(0, 20), { teacher })).rejects.toThrow(
      /the teacher was trained on 24 rows, these are 20/,
    );
    await expect(trainRecipe(recipe, rows, { teacher, labels: ['angry', 'calm'] })).rejects.toThrow(
      /the teacher's labels \(calm, angry\) are not the model's \(angry, calm\)/,
    );
    await expect(trainRecipe(plain, rows, { teacher })).rejects.toThrow(
      /'teacher' needs a recipe with 'distill'/,
    );
    for (const m of [student, teacher, given, undistilled]) m.dispose();
  }, 60_000);

  it('distils out of fold: each speaker group scored by teachers that never heard it', async () => {
    const recipe = tiny({ distill: { teachers: 1, speakerFolds: 2, temperature: 1.5 } });
    const rows = rowsOf(recipe, 24); // speakers s0…s3: groups {s0, s2} and {s1, s3}
    const { model: student, epochs } = await trainListing(recipe, rows);
    expect(epochs).toEqual(TWO_TEACHERS_THEN_ONE);
    // The same student by hand: two plain models, each trained on one group, score the other.
    const labels = student.labels;
    const scores: Float32Array[] = new Array(rows.length);
    for (const group of [
      ['s0', 's2'],
      ['s1', 's3'],
    ]) {
      const teacher = await trainRecipe(
        tiny({}),
        rows.filter((x) => !group.includes(x.speaker)),
        { labels },
      );
      const inside = rows.flatMap((x, i) => (group.includes(x.speaker) ? [i] : []));
      const p = await teacher.predictFeatures(inside.map((i) => rows[i].features));
      inside.forEach((i, q) => {
        // Softened as trainRecipe does it, in float32 with a float64 sum, for the same bits.
        let sum = 0;
        for (let k = 0; k < 2; k++) sum += p[q][k] = p[q][k] ** (1 / 1.5);
        scores[i] = p[q].map((v) => v / sum);
      });
      teacher.dispose();
    }
    const f = rows[0].features;
    const byHand = await EmotionModel.create({
      labels,
      featureSpec: predictionSpec(recipe),
      inputShape: [f.frames, f.features],
      architecture: 'cnn1d',
      seed: memberSeed(recipe, 1),
    });
    await byHand.fit(rows, { ...recipeFitOptions(recipe, 1), softTargets: { scores, weight: 0.5 } });
    const some = rows.slice(0, 6).map((x) => x.features);
    const [p, q] = await Promise.all([student, byHand].map((m) => m.predictFeatures(some)));
    expect(q).toEqual(p);
    const teacher = await trainRecipe(tiny({ ensemble: 1 }), rows);
    await expect(trainRecipe(recipe, rows, { teacher })).rejects.toThrow(/without 'speakerFolds'/);
    await expect(
      trainRecipe(
        recipe,
        rows.filter((x) => x.speaker === 's1'),
      ),
    ).rejects.toThrow(/'distill.speakerFolds' needs rows of at least two speakers, these have 1/);
    for (const m of [student, byHand, teacher]) m.dispose();
  }, 60_000);

  it('refuses rows it cannot train on and members the recipe does not have', async () => {
    const recipe = recipeByName('fast');
    await expect(trainRecipe(recipe, [])).rejects.toThrow(/trainRecipe: no training rows/);
    const rows = rowsOf(recipe, 4);
    await expect(trainRecipe(recipe, rows, { members: [2] })).rejects.toThrow(
      /'members' must list members 1…1 of recipe 'fast'/,
    );
    await expect(trainRecipe(recipe, rows, { worker: 2 } as never)).rejects.toThrow(
      /unknown option 'worker'/,
    );
  });

  it('gives each member its own rows with memberRows, and needs them when the recipe draws copies per member', async () => {
    const audioAugment = { copies: 1, gainDb: [-6, 6] as [number, number], perMember: true };
    const recipe = tiny({ ensemble: 2, epochs: 1, audioAugment });
    const rows = rowsOf(recipe, 8);
    await expect(trainRecipe(recipe, rows)).rejects.toThrow(
      /gives each member its own perturbed copies.*'memberRows'/,
    );
    const asked: number[] = [];
    const model = await trainRecipe(recipe, rows, {
      memberRows: (m) => {
        asked.push(m);
        return m === 1 ? rows : rows.slice(0, 6);
      },
    });
    expect(asked).toEqual([1, 2]);
    expect(model.training?.members).toBe(2);
    model.dispose();
    await expect(trainRecipe(recipe, rows, { memberRows: rows as never })).rejects.toThrow(
      /'memberRows' must be a function/,
    );
  }, 60_000);
});
