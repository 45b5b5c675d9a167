// Batch throughput: `speech-emotion evaluate default <folder> --json` over 2800 short clips at
// 24 414 Hz, the shape of the corpus issue #12 timed (4 min 15 s then). The clips are made from the
// datasets: 2.0 s of each RAVDESS and SAVEE recording (from 0.3 s in), resampled to 24 414 Hz,
// named as TESS names its files (OAF_word_emotion.wav), repeating the recordings until 2800.
// The figure is the command's wall time; it uses every core for decoding, resampling and features.
//   --clips N   (default 2800)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resample } from '../dist/index.js';
import { readMono, scanDataset } from '../dist/node.js';
import { DATA_DIR, ROOT, args, encodeWav, fmt, requireData } from './common.mjs';

const opt = args({ clips: 2800 });
requireData();
const RATE = 24414;
const TESS = {
  neutral: 'neutral',
  happy: 'happy',
  sad: 'sad',
  angry: 'angry',
  fearful: 'fear',
  disgust: 'disgust',
  surprised: 'ps',
};
// The development recordings with their labels, as the library's adapters read them.
const sources = [];
for (const ds of ['ravdess', 'savee']) {
  const { items } = await scanDataset(join(DATA_DIR, ds), { dataset: ds });
  sources.push(...items.filter((it) => TESS[it.label]));
}

const dir = mkdtempSync(join(tmpdir(), 'se-tess-like-'));
const folder = join(dir, 'tess');
mkdirSync(folder);
let seconds = 0;
for (let i = 0; i < opt.clips; i++) {
  const s = sources[i % sources.length];
  const { signal, sampleRate } = await readMono(s.path);
  const x = signal.subarray(Math.round(0.3 * sampleRate), Math.round(2.3 * sampleRate));
  const y = resample(x, sampleRate, RATE);
  seconds += y.length / RATE;
  // TESS file names carry a word of letters: the clip's index in base 26.
  const word = i.toString(26).replace(/./g, (d) => String.fromCharCode(97 + Number.parseInt(d, 26)));
  writeFileSync(join(folder, `${i % 2 ? 'YAF' : 'OAF'}_${word}_${TESS[s.label]}.wav`), encodeWav(y, RATE));
}
console.log(
  `evaluate: ${opt.clips} clips at ${RATE} Hz (${fmt(seconds / 60, 1)} min of audio), ${cpus().length} cores → speech-emotion evaluate default <folder> --json`,
);
const t = performance.now();
const r = spawnSync(
  process.execPath,
  [join(ROOT, 'dist', 'cli.js'), 'evaluate', 'default', folder, '--json'],
  {
    encoding: 'utf8',
  },
);
const wall = (performance.now() - t) / 1000;
rmSync(dir, { recursive: true, force: true });
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const m = JSON.parse(r.stdout.trim().split('\n').at(-1));
// The clips come from the default model's own training data: the UA printed is a sanity check that
// the run scored them, not an accuracy figure.
console.log(
  `  ${m.count} clips scored in ${fmt(wall, 1)} s (${fmt(seconds / wall)}× real time; sanity UA on seen clips ${fmt(100 * m.unweightedAccuracy, 1)}%)`,
);
console.log(`target: ≤ 45 s ${wall <= 45 ? 'met' : 'MISSED'}`);
