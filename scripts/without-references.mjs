// Scores cross-validation runs (their cv-clips.json, probabilities averaged over the files given)
// without each test speaker's first two neutral clips by file name: the clips that
// `speaker-norm-screen.mjs --mode neutral` takes as a speaker's reference and leaves out of its
// scores, so that its runs and plain `train` runs are compared on the same clips.
//
//   node scripts/without-references.mjs a/cv-clips.json [b/cv-clips.json …]
import { readFileSync } from 'node:fs';
import { evaluatePredictions } from '../dist/index.js';
import { clipKey, speakerOf } from './cv-clips.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/without-references.mjs a/cv-clips.json [b/cv-clips.json …]');
  process.exit(2);
}

const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const line = [];
for (const fold of runs[0].folds) {
  const others = runs.map((run) => {
    const f = run.folds.find((x) => x.name === fold.name);
    if (!f) throw new Error(`fold ${fold.name} is missing from a run`);
    return { labels: f.labels, clips: new Map(f.clips.map((c) => [clipKey(c.path), c])) };
  });
  const labels = [...new Set(fold.clips.map((c) => c.label))];
  const neutral = new Map();
  for (const c of fold.clips.filter((x) => x.label === 'neutral')) {
    const speaker = `${c.dataset}:${speakerOf(c.path)}`;
    neutral.set(speaker, [...(neutral.get(speaker) ?? []), clipKey(c.path)]);
  }
  const references = new Set([...neutral.values()].flatMap((list) => list.sort().slice(0, 2)));
  const clips = fold.clips.filter((c) => !references.has(clipKey(c.path)));
  const predicted = clips.map((c) => {
    const score = labels.map((l) =>
      others.reduce((sum, o) => {
        const same = o.clips.get(clipKey(c.path));
        if (!same) throw new Error(`${c.path} is missing from a run's fold ${fold.name}`);
        return sum + same.probs[o.labels.indexOf(l)];
      }, 0),
    );
    return labels[score.indexOf(Math.max(...score))];
  });
  const e = evaluatePredictions(
    clips.map((c) => c.label),
    predicted,
    labels,
  );
  line.push(`${fold.name} UA ${(100 * e.unweightedAccuracy).toFixed(1)}% (${clips.length} clips)`);
}
console.log(line.join('  '));
