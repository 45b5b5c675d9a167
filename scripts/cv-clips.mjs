// What the scripts that read cv-clips.json files (a `train --folds … --cv-only` run's per-clip
// probabilities) share: how a clip is matched across runs, and whose voice it is.

/** A clip's last three path parts: the same whichever path the data folder was given by. */
export const clipKey = (path) => path.split(/[\\/]/).slice(-3).join('/');

/** The speaker of a clip: RAVDESS keeps each actor in a folder (Actor_01), SAVEE names them before '_' (DC_a01). */
export function speakerOf(path) {
  const parts = path.split(/[\\/]/);
  const folder = parts[parts.length - 2];
  return /^Actor_\d+$/.test(folder) ? folder : parts[parts.length - 1].split('_')[0];
}
