// Does the familiarity detector (issue #11) take compressed speech for unfamiliar audio? A fold
// model saved by `train … --keep-fold-models` (it carries its detector) and its fold's held-out
// clips, as recorded and through ffmpeg's lossy codecs (AAC 64 kbit/s in .m4a, Opus 24 kbit/s in
// .webm, MP3 64 kbit/s), decoded by the library's readMono (audio-decode). Prints, per version, the
// share beyond the threshold, the median distance and the accuracy (predictions restricted to the
// labels both sides carry). Needs ffmpeg.
//
//   node docs/recipes/results/codec-familiarity.mjs <run with folds/> [threshold, default 1.44]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devItems, openLibrary, savedFolds } from '../../../scripts/dev-data.mjs';

const [run, threshold = '1.44'] = process.argv.slice(2);
if (!run) throw new Error('usage: codec-familiarity.mjs <run with folds/> [threshold]');
const above = Number(threshold);
const lib = await openLibrary();
const items = await devItems(lib);
const CODECS = {
  'as recorded': null,
  'AAC 64 kbit/s': ['m4a', ['-c:a', 'aac', '-b:a', '64k']],
  'Opus 24 kbit/s': ['webm', ['-c:a', 'libopus', '-b:a', '24k']],
  'MP3 64 kbit/s': ['mp3', ['-c:a', 'libmp3lame', '-b:a', '64k']],
};
const tmp = mkdtempSync(join(tmpdir(), 'se-codec-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log('| fold | version | clips | unfamiliar | median distance | accuracy |');
console.log('| --- | --- | --- | --- | --- | --- |');
try {
  for (const { fold, dir } of savedFolds(lib, items, run)) {
    const model = await lib.EmotionModel.load(dir);
    const shared = lib.sharedLabels(fold, model.labels);
    const test = fold.test.filter((it) => shared.includes(it.label));
    for (const [name, codec] of Object.entries(CODECS)) {
      const matrices = [];
      for (const [i, it] of test.entries()) {
        let path = it.path;
        if (codec) {
          path = join(tmp, `${i}.${codec[0]}`);
          execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', it.path, ...codec[1], path]);
        }
        const { signal, sampleRate } = await lib.readMono(path);
        matrices.push(lib.computeFeatures(signal, sampleRate, model.featureSpec));
      }
      const distances = await model.familiarityOf(matrices);
      const probs = await model.predictFeatures(matrices);
      const right = probs.filter((p, i) => {
        const best = shared.reduce((a, l) =>
          p[model.labels.indexOf(l)] > p[model.labels.indexOf(a)] ? l : a,
        );
        return best === test[i].label;
      }).length;
      const flagged = distances.filter((d) => d > above).length;
      console.log(
        `| ${fold.name} | ${name} | ${test.length} | ${((100 * flagged) / test.length).toFixed(1)}% | ${median(distances).toFixed(3)} | ${((100 * right) / test.length).toFixed(1)}% |`,
      );
    }
    model.dispose();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
