// A neutral boost for unfamiliar clips only (issue #11): the neutral score times e^β for clips whose
// familiarity distance is beyond the threshold (each speaker fold's learnt on the other folds, the
// other corpus's on all speaker folds, the 95th percentile as `calibrate --across` takes it), no
// training. Prints UA per corpus on the speaker folds (each corpus scored on the labels its clips
// carry) and on leave one corpus out (the shared labels), and neutral recall, for each β.
//
//   node docs/recipes/results/unfamiliar-neutral-boost.mjs <speaker cv-clips.json> <corpus cv-clips.json> [--betas 0,2]
//     cv-clips.json files with distances (train's, or embedding-cv-clips.mjs's for the shipped model)
//   node docs/recipes/results/unfamiliar-neutral-boost.mjs --compact <seedN.json.gz> <shipped speaker cv-clips.json> [--betas …]
//     embedding-distance.mjs's output (one member); the corpus of each speaker-fold clip is taken
//     from the shipped cv-clips.json of the same folds (same clips, same order, labels checked)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const at = args.indexOf('--betas');
const betas = at >= 0 ? args.splice(at, 2)[1].split(',').map(Number) : [0, 2];
const json = (f) =>
  JSON.parse((f.endsWith('.gz') ? gunzipSync(readFileSync(f)) : readFileSync(f)).toString('utf8'));

/** Folds as { name, labels, clips: [{ dataset, label, probs, distance }] }, probs over `labels`. */
function cvFolds(file) {
  return json(file).folds.map((f) => {
    const carried = f.labels.filter((l) => f.clips.some((c) => c.label === l));
    return {
      name: f.name,
      labels: carried,
      clips: f.clips.map((c) => ({
        dataset: c.dataset,
        label: c.label,
        distance: c.distance,
        probs: carried.map((l) => c.probs[f.labels.indexOf(l)]),
      })),
    };
  });
}

function compactFolds(file, shippedSpeaker) {
  const groups = json(file);
  const shipped = new Map(json(shippedSpeaker).folds.map((f) => [f.name, f]));
  const of = (protocol) =>
    groups
      .filter((g) => g.protocol === protocol && (protocol === 'corpus' || g.group === 'clean'))
      .map((g) => ({
        name: g.fold,
        labels: g.labels,
        clips: g.clips.map(([distance, truth, ...probs], i) => {
          const label = g.labels[truth];
          let dataset = g.fold.slice('corpus/'.length);
          if (protocol === 'speaker') {
            const s = shipped.get(g.fold).clips[i];
            if (s.label !== label) throw new Error(`${g.fold} clip ${i}: ${label} ≠ ${s.label}`);
            dataset = s.dataset;
          }
          return { dataset, label, distance, probs };
        }),
      }));
  return { speaker: of('speaker'), corpus: of('corpus') };
}

const { speaker, corpus } =
  args[0] === '--compact'
    ? compactFolds(args[1], args[2])
    : { speaker: cvFolds(args[0]), corpus: cvFolds(args[1]) };
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const held = (skip) => speaker.filter((f) => f.name !== skip).flatMap((f) => f.clips.map((c) => c.distance));

/** UA (and neutral recall) of `clips` over `labels`, neutral × e^β where the clip's distance is beyond its `above`. */
function score(clips, labels, beta) {
  const recall = new Map(labels.map((l) => [l, [0, 0]]));
  let flagged = 0;
  for (const c of clips) {
    const boost = c.distance > c.above;
    if (boost) flagged++;
    const s = labels.map((l, j) => c.probs[j] * (boost && l === 'neutral' ? Math.exp(beta) : 1));
    const best = labels[s.indexOf(Math.max(...s))];
    const r = recall.get(c.label);
    r[1]++;
    if (best === c.label) r[0]++;
  }
  const present = [...recall.values()].filter(([, n]) => n > 0);
  const ua = present.reduce((a, [k, n]) => a + k / n, 0) / present.length;
  const [k, n] = recall.get('neutral') ?? [0, 0];
  return { ua, neutral: n ? k / n : Number.NaN, flagged: flagged / clips.length };
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(
  '| β | speaker folds RAVDESS | speaker folds SAVEE | SAVEE → RAVDESS | RAVDESS → SAVEE | mean across corpora |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const beta of betas) {
  const cells = [];
  for (const ds of ['ravdess', 'savee']) {
    // Pooled over the folds, each fold's clips with the threshold of the other folds, over the
    // labels the corpus's clips carry.
    const clips = speaker.flatMap((f) =>
      f.clips
        .filter((c) => c.dataset === ds)
        .map((c) => ({ ...c, above: quantile(held(f.name), 0.95), from: f.labels })),
    );
    const labels = speaker[0].labels.filter((l) => clips.some((c) => c.label === l));
    const r = score(
      clips.map((c) => ({ ...c, probs: labels.map((l) => c.probs[c.from.indexOf(l)]) })),
      labels,
      beta,
    );
    cells.push(`${pct(r.ua)} (neutral ${pct(r.neutral)}, ${pct(r.flagged)} boosted)`);
  }
  const above = quantile(held(null), 0.95);
  const across = corpus.map((f) =>
    score(
      f.clips.map((c) => ({ ...c, above })),
      f.labels,
      beta,
    ),
  );
  for (const r of across) cells.push(`${pct(r.ua)} (neutral ${pct(r.neutral)}, ${pct(r.flagged)} boosted)`);
  cells.push(pct((across[0].ua + across[1].ua) / 2));
  console.log(`| ${beta} | ${cells.join(' | ')} |`);
}
