// A leave-one-corpus-out run's models (`train --folds corpus --keep-fold-models`): UA on (a sample of) the held-out corpus, clean or with
// pink noise, at 16 kHz and upsampled to 48 kHz (default 95% passband): how much the top band moves it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EmotionModel, perturbAudio, readMono, resample, useBackend } from '../../../../dist/node.js';
//   node loco-noise.mjs <train-out> <snr dB | clean> [every Nth clip]
await useBackend('wasm');
const [dir, snrArg, everyArg] = process.argv.slice(2);
const D =
  process.env.SPEECH_EMOTION_DATA ?? new URL('../../../../../shared/datasets', import.meta.url).pathname;
const shared = ['angry', 'disgust', 'fearful', 'happy', 'neutral', 'sad', 'surprised'];
const EMO = {
  '01': 'neutral',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fearful',
  '07': 'disgust',
  '08': 'surprised',
};
const SAV = { a: 'angry', d: 'disgust', f: 'fearful', h: 'happy', n: 'neutral', sa: 'sad', su: 'surprised' };
const every = Number(everyArg ?? 4);
for (const held of ['ravdess', 'savee']) {
  const m = join(dir, 'folds', `corpus-${held}`);
  if (!existsSync(m)) continue;
  const model = await EmotionModel.load(m);
  let items = [];
  if (held === 'ravdess')
    for (const a of readdirSync(join(D, 'ravdess')).sort())
      for (const f of readdirSync(join(D, 'ravdess', a)).sort()) {
        const l = EMO[f.split('-')[2]];
        if (l) items.push([join(D, 'ravdess', a, f), l]);
      }
  else
    for (const f of readdirSync(join(D, 'savee')).sort())
      items.push([join(D, 'savee', f), SAV[f.split('_')[1].replace(/[0-9]+\.wav$/, '')]]);
  items = items.filter((_, i) => i % every === 0);
  const res = {};
  for (const [i, [p, label]] of items.entries()) {
    let a = await readMono(p);
    if (snrArg !== 'clean')
      a = perturbAudio(a.signal, a.sampleRate, {
        noiseSnrDb: Number(snrArg),
        noiseColor: 'pink',
        seed: i + 1,
      });
    for (const [c, s, r] of [
      ['16k', a.signal, 16000],
      ['up48k', resample(a.signal, 16000, 48000), 48000],
    ]) {
      const pr = await model.predict(s, { sampleRate: r, labels: shared });
      res[c] ??= {};
      res[c][label] ??= [0, 0];
      res[c][label][0]++;
      res[c][label][1] += pr.label === label;
    }
  }
  for (const c of Object.keys(res))
    console.log(
      `${dir.split('/').pop()} held-out ${held} (${items.length} clips) ${snrArg} ${c}: UA ${((100 * Object.values(res[c]).reduce((s, [n, k]) => s + k / n, 0)) / 7).toFixed(1)}%`,
    );
}
