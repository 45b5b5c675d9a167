import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type LabelledItem,
  corpusFolds,
  formatSummary,
  groupKFold,
  predefinedFolds,
  sharedLabels,
  speakerKey,
  speakerSplit,
  stratifiedSplit,
  summarize,
} from '../src/index.js';
import { scanDataset } from '../src/node.js';
import { DATA_DIR, FOLDS_FILE, missing, skipNote } from './helpers/data.js';

function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'se-ds-'));
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), 'RIFF');
  }
  return root;
}

describe('dataset adapters on generated trees', () => {
  it('RAVDESS: all seven fields, speech only by default', async () => {
    const root = tree([
      'Actor_07/03-01-05-02-01-02-07.wav',
      'Actor_08/03-01-01-01-02-01-08.wav',
      'Actor_08/03-02-03-01-01-01-08.wav',
    ]);
    const r = await scanDataset(root);
    expect(r.dataset).toBe('ravdess');
    expect(r.items.map((i) => [i.label, i.speaker, i.gender])).toEqual([
      ['angry', '07', 'male'],
      ['neutral', '08', 'female'],
    ]);
    expect(r.items[0].meta).toMatchObject({
      modality: 'audio-only',
      vocalChannel: 'speech',
      intensity: 'strong',
      repetition: 2,
      actor: 7,
    });
    expect(r.items[0].meta.statement).toMatch(/Kids/);
    expect(r.skipped).toEqual([expect.objectContaining({ reason: expect.stringMatching(/song/) })]);
    expect((await scanDataset(root, { includeSong: true })).items).toHaveLength(3);
  });

  it('follows symbolic links to folders and files, each real folder once (a link cycle ends)', async () => {
    const store = tree(['Actor_07/03-01-05-02-01-02-07.wav', 'loose/03-01-01-01-02-01-08.wav']);
    const root = mkdtempSync(join(tmpdir(), 'se-links-'));
    symlinkSync(join(store, 'Actor_07'), join(root, 'Actor_07'));
    mkdirSync(join(root, 'Actor_08'));
    symlinkSync(
      join(store, 'loose', '03-01-01-01-02-01-08.wav'),
      join(root, 'Actor_08', '03-01-01-01-02-01-08.wav'),
    );
    symlinkSync(root, join(root, 'Actor_08', 'loop')); // back to the top
    symlinkSync(join(store, 'missing'), join(root, 'dangling'));
    const r = await scanDataset(root);
    expect(r.items.map((i) => [i.speaker, i.label])).toEqual([
      ['07', 'angry'],
      ['08', 'neutral'],
    ]);
  });

  it('SAVEE in both layouts', async () => {
    const flat = await scanDataset(tree(['DC_a01.wav', 'JE_sa03.wav', 'KL_su15.wav', 'JK_n30.wav']));
    expect(flat.dataset).toBe('savee');
    expect(flat.items.map((i) => `${i.speaker}:${i.label}`)).toEqual([
      'DC:angry',
      'JE:sad',
      'JK:neutral',
      'KL:surprised',
    ]);
    const nested = await scanDataset(
      tree(['AudioData/DC/a01.wav', 'AudioData/DC/f02.wav', 'AudioData/JE/h05.wav']),
    );
    expect(nested.dataset).toBe('savee');
    expect(nested.items.map((i) => `${i.speaker}:${i.label}`)).toEqual([
      'DC:angry',
      'DC:fearful',
      'JE:happy',
    ]);
  });

  it('TESS, CREMA-D and EmoDB by their documented naming', async () => {
    const t = await scanDataset(
      tree([
        'OAF_angry/OAF_back_angry.wav',
        'YAF_pleasant_surprised/YAF_bite_ps.wav',
        'OAF_Sad/OAF_wire_sad.wav',
      ]),
    );
    expect(t.dataset).toBe('tess');
    // Sorted by code unit: upper case first.
    expect(t.items.map((i) => `${i.speaker}:${i.label}`)).toEqual(['OAF:sad', 'OAF:angry', 'YAF:surprised']);
    const c = await scanDataset(tree(['1001_DFA_ANG_XX.wav', '1091_TSI_HAP_HI.wav', '1002_IEO_FEA_LO.wav']));
    expect(c.dataset).toBe('crema-d');
    expect(c.items.map((i) => `${i.speaker}:${i.label}:${i.meta.level}`)).toEqual([
      '1001:angry:unspecified',
      '1002:fearful:low',
      '1091:happy:high',
    ]);
    const e = await scanDataset(tree(['03a01Fa.wav', '08b02Wb.wav', '10a05Lc.wav', '16a01Tb.wav']));
    expect(e.dataset).toBe('emodb');
    expect(e.items.map((i) => `${i.speaker}:${i.label}:${i.gender}`)).toEqual([
      '03:happy:male',
      '08:angry:female',
      '16:sad:female',
    ]);
    expect(e.skipped[0].reason).toMatch(/boredom/);
  });

  it('folder per label, a CSV manifest, and an explicit override', async () => {
    const f = await scanDataset(tree(['Angry/x.wav', 'happiness/y.wav', 'Sad/z.wav', 'misc/readme.wav']));
    expect(f.dataset).toBe('folders');
    expect(f.items.map((i) => i.label)).toEqual(['angry', 'sad', 'happy']);
    expect(f.skipped).toHaveLength(1);
    const root = tree(['a/1.wav', 'b/2.wav']);
    writeFileSync(
      join(root, 'm.csv'),
      'path,label,speaker\na/1.wav,anger,s1\n"b/2.wav",Neutral,s2\nb/3.wav,bored,s2\n',
    );
    const m = await scanDataset(join(root, 'm.csv'));
    expect(m.items.map((i) => [i.path, i.label, i.speaker])).toEqual([
      [join(root, 'a/1.wav'), 'angry', 's1'],
      [join(root, 'b/2.wav'), 'neutral', 's2'],
    ]);
    expect(m.skipped[0].reason).toMatch(/bored/);
    await expect(scanDataset(tree(['x/1.wav', 'y/2.wav']))).rejects.toThrow(/cannot tell which dataset/);
    await expect(scanDataset(tree(['x/1.wav']), { dataset: 'nope' as never })).rejects.toThrow(
      /unknown dataset/,
    );
  });
});

describe('dataset adapters on the real folders', () => {
  const noRavdess = missing('ravdess');
  const noSavee = missing('savee');
  const noFolds = missing('ravdess', 'savee', 'folds');
  it.skipIf(noRavdess)(
    `RAVDESS: 1200 speech files from 20 actors, 8 labels, balanced genders${skipNote(noRavdess)}`,
    async () => {
      const r = await scanDataset(join(DATA_DIR, 'ravdess'));
      expect(r.dataset).toBe('ravdess');
      expect(r.items).toHaveLength(1200);
      expect(r.skipped).toHaveLength(0);
      const s = summarize(r.items);
      expect(Object.keys(s.bySpeaker)).toHaveLength(20);
      expect(s.byLabel).toEqual({
        neutral: 80,
        calm: 160,
        happy: 160,
        sad: 160,
        angry: 160,
        fearful: 160,
        disgust: 160,
        surprised: 160,
      });
      expect(r.items.filter((i) => i.gender === 'female')).toHaveLength(600);
      expect(formatSummary(s)).toMatch(/ravdess:01\s+male/);
    },
  );

  it.skipIf(noSavee)(`SAVEE: 360 files from 3 speakers, 7 labels${skipNote(noSavee)}`, async () => {
    const r = await scanDataset(join(DATA_DIR, 'savee'));
    expect(r.dataset).toBe('savee');
    expect(r.items).toHaveLength(360);
    const s = summarize(r.items);
    expect(Object.keys(s.bySpeaker).sort()).toEqual(['savee:DC', 'savee:JE', 'savee:JK']);
    expect(s.byLabel).toEqual({
      angry: 45,
      disgust: 45,
      fearful: 45,
      happy: 45,
      neutral: 90,
      sad: 45,
      surprised: 45,
    });
  });

  it.skipIf(noFolds)(`the standard dev folds select the right speakers${skipNote(noFolds)}`, async () => {
    const folds = JSON.parse(readFileSync(FOLDS_FILE, 'utf8'));
    const items = [
      ...(await scanDataset(join(DATA_DIR, 'ravdess'))).items,
      ...(await scanDataset(join(DATA_DIR, 'savee'))).items,
    ];
    const f = predefinedFolds(items, folds);
    expect(f.map((x) => x.name)).toEqual([
      'ravdess/fold1',
      'ravdess/fold2',
      'ravdess/fold3',
      'ravdess/fold4',
      'ravdess/fold5',
      'savee/fold1',
      'savee/fold2',
      'savee/fold3',
    ]);
    expect(f[0].test).toHaveLength(240);
    expect(f[0].train).toHaveLength(960);
    expect(f[5].testSpeakers).toEqual(['savee:DC']);
  });
});

const itemsArb = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom('angry', 'sad', 'happy', 'neutral')), {
    minLength: 20,
    maxLength: 300,
  })
  .map((xs) =>
    xs.map(
      ([s, label], i): LabelledItem => ({
        path: `f${i}.wav`,
        dataset: 'ravdess',
        label: label as never,
        speaker: String(s).padStart(2, '0'),
        meta: {},
      }),
    ),
  );

describe('splits', () => {
  it('corpusFolds leaves one whole corpus out per fold; sharedLabels is what both sides carry', () => {
    const item = (dataset: 'ravdess' | 'savee', speaker: string, label: string, i: number): LabelledItem => ({
      path: `${dataset}/${speaker}/${i}.wav`,
      dataset,
      label: label as never,
      speaker,
      meta: {},
    });
    const items = [
      ...['neutral', 'calm', 'angry', 'sad'].flatMap((l, i) => [
        item('ravdess', '01', l, i),
        item('ravdess', '02', l, i),
      ]),
      ...['neutral', 'angry', 'disgust'].map((l, i) => item('savee', 'DC', l, i)),
    ];
    const folds = corpusFolds(items);
    expect(folds.map((f) => f.name)).toEqual(['corpus/ravdess', 'corpus/savee']);
    expect(folds[1].train.every((it) => it.dataset === 'ravdess')).toBe(true);
    expect(folds[1].test).toHaveLength(3);
    expect(folds[0].testSpeakers).toEqual(['ravdess:01', 'ravdess:02']);
    const order = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
    expect(sharedLabels(folds[0], order)).toEqual(['neutral', 'angry']);
    expect(sharedLabels(folds[1], order)).toEqual(['neutral', 'angry']);
    expect(() => corpusFolds(items.filter((i) => i.dataset === 'savee'))).toThrow(/at least two datasets/);
  });

  it('speakerSplit never puts a speaker in two parts, covers every item, and is deterministic', () => {
    fc.assert(
      fc.property(itemsArb, fc.nat(1000), (items, seed) => {
        fc.pre(new Set(items.map((i) => i.speaker)).size >= 3);
        const s = speakerSplit(items, { seed, test: 0.2, validation: 0.1 });
        const parts = [s.train, s.validation, s.test].map((p) => new Set(p.map(speakerKey)));
        for (let a = 0; a < 3; a++)
          for (let b = a + 1; b < 3; b++) for (const k of parts[a]) expect(parts[b].has(k)).toBe(false);
        expect(s.train.length + s.validation.length + s.test.length).toBe(items.length);
        expect(s.train.length).toBeGreaterThan(0);
        expect(speakerSplit(items, { seed, test: 0.2, validation: 0.1 })).toEqual(s);
      }),
      { numRuns: 200 },
    );
  });

  it('speakerSplit with named speakers puts exactly them in test', () => {
    const items = Array.from(
      { length: 60 },
      (_, i): LabelledItem => ({
        path: `${i}`,
        dataset: 'savee',
        label: 'sad',
        speaker: ['DC', 'JE', 'JK'][i % 3],
        meta: {},
      }),
    );
    const s = speakerSplit(items, { testSpeakers: ['JK'], validation: 0 });
    expect(s.speakers.test).toEqual(['savee:JK']);
    expect(s.speakers.train).toEqual(['savee:DC', 'savee:JE']);
    expect(() => speakerSplit(items, { testSpeakers: ['XX'] })).toThrow(/no items from speaker 'XX'/);
    expect(() => speakerSplit([{ ...items[0], speaker: 'unknown' }])).toThrow(/no speaker id/);
  });

  it('groupKFold: each speaker tested in exactly one fold, never trained on there', () => {
    fc.assert(
      fc.property(itemsArb, fc.integer({ min: 2, max: 5 }), (items, k) => {
        fc.pre(new Set(items.map((i) => i.speaker)).size >= k);
        const folds = groupKFold(items, { k, seed: 3 });
        const seen = new Map<string, number>();
        for (const f of folds) {
          const train = new Set(f.train.map(speakerKey));
          for (const it of f.test) {
            expect(train.has(speakerKey(it))).toBe(false);
          }
          for (const s of f.testSpeakers) seen.set(s, (seen.get(s) ?? 0) + 1);
          expect(f.train.length + f.test.length).toBe(items.length);
        }
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
        expect(seen.size).toBe(new Set(items.map(speakerKey)).size);
      }),
      { numRuns: 150 },
    );
  });

  it('stratifiedSplit keeps label proportions and is deterministic', () => {
    const items = Array.from(
      { length: 200 },
      (_, i): LabelledItem => ({
        path: `${i}`,
        dataset: 'ravdess',
        label: i % 4 === 0 ? 'sad' : 'angry',
        speaker: '01',
        meta: {},
      }),
    );
    const s = stratifiedSplit(items, { test: 0.2, validation: 0.1, seed: 9 });
    expect(s.test.filter((i) => i.label === 'sad')).toHaveLength(10);
    expect(s.test.filter((i) => i.label === 'angry')).toHaveLength(30);
    expect(stratifiedSplit(items, { test: 0.2, validation: 0.1, seed: 9 })).toEqual(s);
    expect(() => stratifiedSplit(items, { test: 0.7, validation: 0.5 })).toThrow(/sum to less than 1/);
  });
});
