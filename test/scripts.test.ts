import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, missing, skipNote } from './helpers/data.js';

const notBuilt = missing('dist');
const LABELS = ['neutral', 'happy', 'sad'];

/**
 * A cv-clips.json with one fold per corpus: 10 RAVDESS actors and 3 SAVEE speakers, two clips of
 * each label per speaker. `right(corpus, speaker, label, i)` says whether clip i is predicted right:
 * 0.8 on its label, or 0.6 on the next label and 0.3 on its own.
 */
function run(right: (corpus: string, speaker: number, label: number, i: number) => boolean): object {
  const fold = (corpus: string, speakers: number) => ({
    name: `corpus/${corpus}`,
    labels: LABELS,
    clips: Array.from({ length: speakers }, (_, s) =>
      LABELS.flatMap((label, l) =>
        [0, 1].map((i) => {
          const path =
            corpus === 'ravdess'
              ? `data/ravdess/Actor_${String(s + 1).padStart(2, '0')}/${l}-${i}.wav`
              : `data/savee/${['DC', 'JE', 'JK'][s]}_${l}${i}.wav`;
          const hit = right(corpus, s, l, i);
          const probs = LABELS.map((_, j) =>
            hit ? (j === l ? 0.8 : 0.1) : [0.3, 0.6, 0.1][(j - l + 3) % 3],
          );
          return { path, dataset: corpus, label, probs };
        }),
      ),
    ).flat(),
  });
  return { recipe: 'synthetic', folds: [fold('ravdess', 10), fold('savee', 3)] };
}

interface Comparison {
  results: {
    dataset: string;
    speakers: number;
    clips: number;
    uaA: number;
    uaB: number;
    difference: number;
    interval95: [number, number];
    shareAbove: number;
    perSpeaker: Record<string, number>;
  }[];
}

function compare(files: object[][], extra: string[] = []): { status: number | null; out: Comparison } {
  const dir = mkdtempSync(join(tmpdir(), 'se-compare-'));
  const paths = files.map((side, s) =>
    side.map((r, i) => {
      const p = join(dir, `${s}-${i}.json`);
      writeFileSync(p, JSON.stringify(r));
      return p;
    }),
  );
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts', 'compare-cv.mjs'), ...paths[0], '--vs', ...paths[1], '--json', ...extra],
    { encoding: 'utf8' },
  );
  return { status: r.status, out: r.status === 0 ? JSON.parse(r.stdout) : { results: [] } };
}

describe.skipIf(notBuilt)(`scripts/compare-cv.mjs${skipNote(notBuilt)}`, () => {
  it('gives the difference in UA per corpus, with a bootstrap interval over speakers', () => {
    const all = run(() => true);
    // B misses the second clip of every label for RAVDESS actors 1-5, and every clip of SAVEE's JK.
    const some = run((c, s, _l, i) => (c === 'ravdess' ? s >= 5 || i === 0 : s !== 2));
    const { status, out } = compare([[all], [some]], ['--resamples', '500']);
    expect(status).toBe(0);
    const [ravdess, savee] = out.results;
    expect(ravdess).toMatchObject({ dataset: 'ravdess', speakers: 10, clips: 60, uaA: 1 });
    expect(ravdess.uaB).toBeCloseTo(0.75, 12);
    expect(ravdess.difference).toBeCloseTo(0.25, 12);
    expect(ravdess.interval95[0]).toBeGreaterThan(0);
    expect(ravdess.interval95[0]).toBeLessThan(0.25);
    expect(ravdess.interval95[1]).toBeGreaterThan(0.25);
    expect(ravdess.interval95[1]).toBeLessThanOrEqual(0.5);
    expect(savee.difference).toBeCloseTo(1 / 3, 12);
    expect(savee.perSpeaker).toEqual({ DC: 0, JE: 0, JK: 1 });
  });

  it('averages the runs on each side before comparing, and finds no difference between equal sides', () => {
    // B's two runs are each right on half the clips, on different halves, and less sure where wrong:
    // their average is right everywhere, as A is.
    const half = (first: boolean) => run((_c, _s, _l, i) => (i === 0) === first);
    const alone = compare([[run(() => true)], [half(true)]]).out;
    for (const r of alone.results) expect(r.difference).toBeCloseTo(0.5, 12);
    const averaged = compare([[run(() => true)], [half(true), half(false)]]).out;
    for (const r of averaged.results)
      expect(r).toMatchObject({ uaB: 1, difference: 0, interval95: [0, 0], shareAbove: 0 });
  });

  it('--folds compares only the named folds, so a run over some folds meets a full one', () => {
    const part = run(() => true) as { folds: { name: string }[] };
    part.folds = part.folds.filter((f) => f.name === 'corpus/ravdess');
    const full = run((c) => c === 'savee');
    expect(compare([[part], [full]]).status).not.toBe(0);
    const { status, out } = compare([[part], [full]], ['--folds', 'corpus/ravdess']);
    expect(status).toBe(0);
    expect(out.results).toHaveLength(1);
    expect(out.results[0]).toMatchObject({ dataset: 'ravdess', uaA: 1, uaB: 0, difference: 1 });
    expect(compare([[part], [full]], ['--folds', 'corpus/ravdess,fold9']).status).not.toBe(0);
  });

  it("takes a run trained in parts as one argument, its files joined by '+'", () => {
    const whole = run((c) => c === 'savee') as { folds: { name: string }[] };
    const [ravdess, savee] = whole.folds.map((f) => ({ ...whole, folds: [f] }));
    const dir = mkdtempSync(join(tmpdir(), 'se-parts-'));
    const paths = [ravdess, savee, whole, ravdess].map((r, i) => {
      const p = join(dir, `${i}.json`);
      writeFileSync(p, JSON.stringify(r));
      return p;
    });
    const cmp = (a: string) =>
      spawnSync(process.execPath, [join(ROOT, 'scripts', 'compare-cv.mjs'), a, '--vs', paths[2], '--json'], {
        encoding: 'utf8',
      });
    const joined = cmp(`${paths[0]}+${paths[1]}`);
    expect(joined.status, joined.stderr).toBe(0);
    for (const r of JSON.parse(joined.stdout).results) expect(r.difference).toBe(0);
    expect(cmp(`${paths[0]}+${paths[3]}`).stderr).toMatch(/more than one part/);
  });

  it('refuses sides that test different clips, and a call without --vs', () => {
    const other = run(() => true) as { folds: { clips: unknown[] }[] };
    other.folds[0].clips.pop();
    expect(compare([[run(() => true)], [other]]).status).not.toBe(0);
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'compare-cv.mjs'), 'a.json'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});
