// Does the familiarity detector (issue #11) take compressed or degraded speech for unfamiliar
// audio? A fold model saved by `train … --keep-fold-models` (it carries its detector) and its
// fold's held-out clips, as recorded and through ffmpeg's lossy codecs (AAC 64 kbit/s in .m4a,
// Opus 24 kbit/s in .webm, MP3 64 kbit/s; decoded by the library's readMono) or, with --channels,
// through the channels of embedding-distance.mjs (white noise 20 dB SNR, pink 10 dB, a room of RT60
// 0.6 s, a phone line). Prints, per version, the share beyond the threshold, the median distance
// and the accuracy (predictions restricted to the labels both sides carry); with --calibration
// T1,T2 also the expected calibration error (15 bins) at T1 for every clip and with the detector
// (T2 beyond the threshold). Codecs need ffmpeg.
//
//   node docs/recipes/results/codec-familiarity.mjs <run with folds/> [--threshold 1.44] [--channels] [--calibration T1,T2]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devItems, openLibrary, savedFolds, throughChannel } from '../../../scripts/dev-data.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : fallback;
};
const above = Number(opt('--threshold', '1.44'));
const calibration = opt('--calibration', null)?.split(',').map(Number);
const channels = args.includes('--channels');
const [run] = args.filter((a) => a !== '--channels');
if (!run)
  throw new Error(
    'usage: codec-familiarity.mjs <run with folds/> [--threshold x] [--channels] [--calibration T1,T2]',
  );
const lib = await openLibrary();
const items = await devItems(lib);
const CODECS = {
  'AAC 64 kbit/s': ['m4a', ['-c:a', 'aac', '-b:a', '64k']],
  'Opus 24 kbit/s': ['webm', ['-c:a', 'libopus', '-b:a', '24k']],
  'MP3 64 kbit/s': ['mp3', ['-c:a', 'libmp3lame', '-b:a', '64k']],
};
const CHANNELS = {
  'white noise 20 dB': { noiseSnrDb: [20, 20], noiseColor: 'white' },
  'pink noise 10 dB': { noiseSnrDb: [10, 10], noiseColor: 'pink' },
  'a room, RT60 0.6 s': { reverb: { rt60: [0.6, 0.6] } },
  'a phone line': 'telephone',
};
const tmp = mkdtempSync(join(tmpdir(), 'se-codec-'));

/** The audio of one clip in one version (`null`: as recorded). */
async function version(it, i, kind, how) {
  if (kind === 'codec') {
    const path = join(tmp, `${i}.${how[0]}`);
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', it.path, ...how[1], path]);
    return lib.readMono(path);
  }
  const a = await lib.readMono(it.path);
  if (kind === 'recorded') return a;
  return throughChannel(lib, how, a);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(
  `| fold | version | clips | unfamiliar | median distance | accuracy |${calibration ? ' ECE without → with |' : ''}`,
);
console.log(`| --- | --- | --- | --- | --- | --- |${calibration ? ' --- |' : ''}`);
const versions = [
  ['as recorded', 'recorded', null],
  ...(channels
    ? Object.entries(CHANNELS).map(([n, h]) => [n, 'channel', h])
    : Object.entries(CODECS).map(([n, h]) => [n, 'codec', h])),
];
try {
  for (const { fold, dir } of savedFolds(lib, items, run)) {
    const model = await lib.EmotionModel.load(dir);
    const shared = lib.sharedLabels(fold, model.labels);
    const test = fold.test.filter((it) => shared.includes(it.label));
    const at = shared.map((l) => model.labels.indexOf(l));
    const truth = test.map((it) => shared.indexOf(it.label));
    for (const [name, kind, how] of versions) {
      const matrices = [];
      for (const [i, it] of test.entries()) {
        const { signal, sampleRate } = await version(it, i, kind, how);
        matrices.push(lib.computeFeatures(signal, sampleRate, model.featureSpec));
      }
      const distances = await model.familiarityOf(matrices);
      const probs = (await model.predictFeatures(matrices)).map((p) => at.map((j) => p[j]));
      const right = probs.filter((p, i) => p.indexOf(Math.max(...p)) === truth[i]).length;
      const flagged = distances.filter((d) => d > above).length;
      let ece = '';
      if (calibration) {
        const [t1, t2] = calibration;
        const at = (t) => probs.map((p, i) => lib.applyTemperature(p, t(i)));
        const before = lib.expectedCalibrationError(
          at(() => t1),
          truth,
        );
        const after = lib.expectedCalibrationError(
          at((i) => (distances[i] > above ? t2 : t1)),
          truth,
        );
        ece = ` ${pct(before)} → ${pct(after)} |`;
      }
      console.log(
        `| ${fold.name} | ${name} | ${test.length} | ${pct(flagged / test.length)} | ${median(distances).toFixed(3)} | ${pct(right / test.length)} |${ece}`,
      );
    }
    model.dispose();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
