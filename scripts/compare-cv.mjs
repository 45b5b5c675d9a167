// Compares two recipes from the per-clip outputs of their cross-validations (cv-clips.json files),
// with no retraining: how far apart they are per corpus, and how sure that difference is, given
// which speakers happened to be tested.
//
//   node scripts/compare-cv.mjs a/cv-clips.json [a2/cv-clips.json …] --vs b/cv-clips.json [b2/…]
//        [--resamples 4000] [--seed 1] [--folds fold1,fold2,…] [--json]
//
// Each side's runs are averaged as combine-cv.mjs averages them (an ensemble; one file is one run),
// every fold restricted to the labels its test clips carry. Then, per corpus, both sides' test
// clips are pooled over the folds and scored by unweighted accuracy (mean recall over the classes
// present): the difference A − B, and a paired bootstrap over speakers. Each resample draws the
// corpus's test speakers with replacement and scores both sides on the same draw, so the interval
// says how much the difference depends on which voices were tested (RAVDESS gives 20 of them,
// SAVEE 3). It says nothing about training seeds: average several seeds per side for that.
// The pooled UA equals the mean over folds that `train` and combine-cv.mjs print when every fold
// holds as many clips of each class, as the standard folds do; otherwise it can differ. With fewer
// than 8 test speakers (SAVEE's 3) the interval is too coarse to trust; the difference per speaker
// is printed beside it. `--folds` keeps only the named folds of every run, to compare a run over
// some folds (e.g. docs/recipes/dev-folds123.json) with the same folds of a full one; a run trained
// in parts is given as one argument, its files joined by '+' (readRun in cv-clips.mjs).
import { averageRuns, clipKey, readRun, speakerOf } from './cv-clips.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const resamples = opt('--resamples', 4000);
const seed = opt('--seed', 1);
const json = args.includes('--json');
const foldsAt = args.indexOf('--folds');
const only = foldsAt >= 0 ? new Set((args[foldsAt + 1] ?? '').split(',').filter(Boolean)) : null;
const vs = args.indexOf('--vs');
const valueAt = new Set(
  ['--resamples', '--seed', '--folds'].map((o) => args.indexOf(o)).filter((i) => i >= 0),
);
const fileArgs = (from, to) =>
  args.slice(from, to).filter((a, i) => !a.startsWith('--') && !valueAt.has(from + i - 1));
const a = vs > 0 ? fileArgs(0, vs) : [];
const b = vs > 0 ? fileArgs(vs + 1, args.length) : [];
if (a.length === 0 || b.length === 0 || !(resamples >= 100) || !Number.isInteger(seed) || only?.size === 0) {
  console.error(
    'usage: node scripts/compare-cv.mjs a/cv-clips.json […] --vs b/cv-clips.json […] [--resamples N ≥ 100] [--seed S] [--folds NAME,…] [--json]',
  );
  process.exit(2);
}
/** A run's folds, only those named by `--folds` when it is given (each must be there). */
function foldsOf(file) {
  const run = readRun(file);
  if (!only) return run;
  const names = new Set(run.folds.map((f) => f.name));
  for (const n of only)
    if (!names.has(n)) throw new Error(`${file} has no fold '${n}' (it has ${[...names].join(', ')})`);
  return { ...run, folds: run.folds.filter((f) => only.has(f.name)) };
}
const load = (files) => averageRuns(files.map(foldsOf));

/** Every test clip of a side: key → { dataset, speaker, label, predicted }. */
function clipsOf(folds) {
  const out = new Map();
  for (const f of folds)
    for (const c of f.clips)
      out.set(clipKey(c.path), {
        dataset: c.dataset ?? '',
        speaker: speakerOf(c.path),
        label: c.label,
        predicted: c.predicted,
      });
  return out;
}
const A = clipsOf(load(a));
const B = clipsOf(load(b));
for (const k of A.keys()) if (!B.has(k)) throw new Error(`${k} is tested by A's runs but not by B's`);
if (A.size !== B.size) throw new Error("B's runs test clips that A's do not");

/** Per speaker of one corpus: clips, and hits of each side, per class. */
function tallies(dataset) {
  const labels = [...new Set([...A.values()].filter((c) => c.dataset === dataset).map((c) => c.label))];
  const speakers = new Map();
  for (const [k, c] of A) {
    if (c.dataset !== dataset) continue;
    if (!speakers.has(c.speaker))
      speakers.set(
        c.speaker,
        labels.map(() => [0, 0, 0]),
      );
    const t = speakers.get(c.speaker);
    const row = t[labels.indexOf(c.label)];
    row[0]++;
    if (c.predicted === c.label) row[1]++;
    if (B.get(k).predicted === c.label) row[2]++;
  }
  return { labels, speakers: [...speakers.entries()] };
}

/** UA of side 1 (A) or 2 (B) over the speakers at `picks` (indices, repeats allowed). */
function ua(speakers, picks, side) {
  const k = speakers[0][1].length;
  let sum = 0;
  let present = 0;
  for (let j = 0; j < k; j++) {
    let n = 0;
    let hit = 0;
    for (const p of picks) {
      n += speakers[p][1][j][0];
      hit += speakers[p][1][j][side];
    }
    if (n > 0) {
      sum += hit / n;
      present++;
    }
  }
  return sum / present;
}

/** mulberry32: a small seeded generator, so the intervals repeat from run to run. */
function generator(s) {
  let t = s >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Below this many test speakers a bootstrap interval is too coarse to trust; the speakers are listed. */
const FEW = 8;
const random = generator(seed);
const results = [];
for (const dataset of [...new Set([...A.values()].map((c) => c.dataset))].sort()) {
  const { speakers } = tallies(dataset);
  const all = speakers.map((_, i) => i);
  const diffs = [];
  for (let r = 0; r < resamples; r++) {
    const picks = all.map(() => Math.floor(random() * all.length));
    diffs.push(ua(speakers, picks, 1) - ua(speakers, picks, 2));
  }
  diffs.sort((x, y) => x - y);
  const q = (p) => diffs[Math.min(diffs.length - 1, Math.floor(p * diffs.length))];
  const uaA = ua(speakers, all, 1);
  const uaB = ua(speakers, all, 2);
  results.push({
    dataset,
    speakers: speakers.length,
    clips: speakers.reduce((n, [, t]) => n + t.reduce((m, row) => m + row[0], 0), 0),
    uaA,
    uaB,
    difference: uaA - uaB,
    interval95: [q(0.025), q(0.975)],
    shareAbove: diffs.filter((d) => d > 0).length / diffs.length,
    perSpeaker: Object.fromEntries(
      speakers.map(([name], i) => [name, ua(speakers, [i], 1) - ua(speakers, [i], 2)]),
    ),
  });
}
if (json) console.log(JSON.stringify({ a, b, resamples, seed, results }));
else {
  const pct = (x) => (100 * x).toFixed(1);
  const signed = (x) => `${x >= 0 ? '+' : '−'}${pct(Math.abs(x))}`;
  console.log(`A: ${a.join(' + ')}\nB: ${b.join(' + ')}`);
  for (const r of results)
    console.log(
      `${r.dataset.padEnd(8)} ${String(r.speakers).padStart(2)} speakers  A ${pct(r.uaA)}%  B ${pct(r.uaB)}%  A − B ${signed(r.difference)}  95% [${signed(r.interval95[0])}, ${signed(r.interval95[1])}]  A ahead in ${pct(r.shareAbove)}% of ${resamples} resamples${
        r.speakers < FEW
          ? `\n${''.padEnd(9)}too few speakers for the interval to mean much; per speaker: ${Object.entries(
              r.perSpeaker,
            )
              .map(([s, d]) => `${s} ${signed(d)}`)
              .join(', ')}`
          : ''
      }`,
    );
}
