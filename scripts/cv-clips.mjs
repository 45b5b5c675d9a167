// What the scripts that read cv-clips.json files (a `train --folds … --cv-only` run's per-clip
// probabilities) share: how a clip is matched across runs, whose voice it is, and how runs average.
import { readFileSync } from 'node:fs';
import { applyTemperature } from '../dist/index.js';

/**
 * One run from a command-line argument: a cv-clips.json, or several joined by '+' (a run whose folds
 * were trained in parts, e.g. over docs/recipes/dev-folds123.json and dev-folds45.json), their folds
 * put together. A fold name may appear in only one part.
 */
export function readRun(arg) {
  const parts = arg.split('+').map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const folds = parts.flatMap((r) => r.folds);
  const names = folds.map((f) => f.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`${arg}: fold ${twice} is in more than one part`);
  return { ...parts[0], folds };
}

/** A clip's last three path parts: the same whichever path the data folder was given by. */
export const clipKey = (path) => path.split(/[\\/]/).slice(-3).join('/');

/** The speaker of a clip: RAVDESS keeps each actor in a folder (Actor_01), SAVEE names them before '_' (DC_a01). */
export function speakerOf(path) {
  const parts = path.split(/[\\/]/);
  const folder = parts[parts.length - 2];
  return /^Actor_\d+$/.test(folder) ? folder : parts[parts.length - 1].split('_')[0];
}

/**
 * The runs' probabilities averaged per fold and clip (weighted, then `temperature` applied), over
 * the labels each fold's test clips carry, with the prediction that follows: `{ name, labels,
 * clips: [{ ...clip, probs, predicted }] }` per fold of the first run. Every run must hold the same
 * folds and test clips.
 */
export function averageRuns(runs, weights = runs.map(() => 1), temperature = 1) {
  const byKey = runs.map(
    (run) => new Map(run.folds.map((f) => [f.name, new Map(f.clips.map((c) => [clipKey(c.path), c]))])),
  );
  return runs[0].folds.map((fold) => {
    const same = runs.map((run) => run.folds.find((f) => f.name === fold.name));
    if (same.some((f) => !f)) throw new Error(`fold ${fold.name} is missing from a run`);
    const labels = [...new Set(fold.clips.map((c) => c.label))];
    const clips = fold.clips.map((clip) => {
      const sum = labels.map(() => 0);
      for (const [r, f] of same.entries()) {
        const other = byKey[r].get(fold.name).get(clipKey(clip.path));
        if (!other) throw new Error(`${clip.path} is missing from a run's fold ${fold.name}`);
        for (const [j, l] of labels.entries()) {
          const at = f.labels.indexOf(l);
          sum[j] += weights[r] * (at < 0 ? 0 : other.probs[at]);
        }
      }
      const probs = applyTemperature(sum, temperature);
      return { ...clip, probs, predicted: labels[probs.indexOf(Math.max(...probs))] };
    });
    return { name: fold.name, labels, clips };
  });
}
