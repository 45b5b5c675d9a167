// The bundled model's cross-validation outputs with the familiarity figures that `train` now writes
// (issue #11), without training again: each held-out clip of the shipped recipe's speaker folds
// (`default-wfpd-2026-12-04-cv/`, the bundled model's own cross-validation) and of its one-member
// leave-one-corpus-out run (`default-wf-2026-12-04-loco/`) gets the `distance` and, for the
// ensemble, the first member's probabilities (`memberProbs`) that `embedding-distance.mjs` measured
// with the same fold models (`embedding-detector-2026-12-05/seed1.json.gz`: the `single` recipe,
// seed 1, is the shipped recipe's first member, checked to the bit). Writes two cv-clips.json files
// that `speech-emotion calibrate --across` reads.
//
//   node docs/recipes/results/embedding-cv-clips.mjs <out folder>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const out = process.argv[2];
if (!out) throw new Error('usage: embedding-cv-clips.mjs <out folder>');
const groups = JSON.parse(
  gunzipSync(readFileSync(join(here, 'embedding-detector-2026-12-05/seed1.json.gz'))).toString('utf8'),
);

/** cv-clips.json of `run` with each clip's distance (and first member's probabilities) from `protocol`'s groups. */
function merged(run, protocol, withMember) {
  const cv = JSON.parse(readFileSync(join(here, run, 'cv-clips.json'), 'utf8'));
  for (const fold of cv.folds) {
    const g = groups.find(
      (x) => x.protocol === protocol && x.fold === fold.name && (protocol === 'corpus' || x.group === 'clean'),
    );
    if (!g || g.clips.length !== fold.clips.length)
      throw new Error(`${run} ${fold.name}: ${fold.clips.length} clips, measured ${g?.clips.length}`);
    fold.clips.forEach((c, i) => {
      const [distance, truth, ...probs] = g.clips[i];
      if (g.labels[truth] !== c.label) throw new Error(`${fold.name} clip ${i}: ${c.label} ≠ ${g.labels[truth]}`);
      c.distance = distance;
      if (withMember) {
        if (g.labels.length !== fold.labels.length)
          throw new Error(`${fold.name}: the first member's scores cover ${g.labels.length} labels`);
        c.memberProbs = fold.labels.map((l) => probs[g.labels.indexOf(l)]);
      }
    });
  }
  return cv;
}

mkdirSync(out, { recursive: true });
for (const [run, protocol, file, withMember] of [
  ['default-wfpd-2026-12-04-cv', 'speaker', 'speaker-cv-clips.json', true],
  ['default-wf-2026-12-04-loco', 'corpus', 'corpus-cv-clips.json', false],
]) {
  writeFileSync(join(out, file), `${JSON.stringify(merged(run, protocol, withMember))}\n`);
  console.log(`wrote ${join(out, file)}`);
}
