// The clips of a mic-eval.mjs output, with pink noise (seeded as mic-eval.mjs seeds it) or clean,
// predicted at 16 kHz and upsampled to 48 kHz (resample's default 95% passband, and 99%), 44.1 kHz,
// and to 48 kHz and back: does the band above 7.6 kHz alone move predictions in noise?
//   node rate-noise.mjs <fold-1 model dir> <out.json> [snr dB]
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { EmotionModel, perturbAudio, readMono, resample, useBackend } from '../../../../dist/node.js';
await useBackend('wasm');
const D =
  process.env.SPEECH_EMOTION_DATA ?? new URL('../../../../../shared/datasets', import.meta.url).pathname;
const m = await EmotionModel.load(process.argv[2]);
const r = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const snr = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const labels = ['angry', 'disgust', 'fearful', 'happy', 'neutral', 'sad', 'surprised'];
const conds = ['16k', 'up48k', 'up48k-0.99', 'up48k-down16k', 'up44k'];
const hit = Object.fromEntries(conds.map((c) => [c, {}]));
for (const [i, x] of r.entries()) {
  let a = await readMono(isAbsolute(x.path) ? x.path : join(D, x.path));
  if (snr !== undefined)
    a = perturbAudio(a.signal, a.sampleRate, { noiseSnrDb: snr, noiseColor: 'pink', seed: i + 1 });
  const o = { ...(x.corpus === 'savee' && { labels }) };
  const v = {
    '16k': [a.signal, 16000],
    up48k: [resample(a.signal, 16000, 48000), 48000],
    'up48k-down16k': [resample(resample(a.signal, 16000, 48000), 48000, 16000), 16000],
    up44k: [resample(a.signal, 16000, 44100), 44100],
    'up48k-0.99': [resample(a.signal, 16000, 48000, { rolloff: 0.99 }), 48000],
  };
  for (const c of conds) {
    const p = await m.predict(v[c][0], { sampleRate: v[c][1], ...o });
    const k = `${x.corpus}/${x.label}`;
    hit[c][k] ??= [0, 0];
    hit[c][k][0]++;
    hit[c][k][1] += p.label === x.label;
  }
}
for (const c of conds) {
  for (const corpus of ['ravdess', 'savee']) {
    const e = Object.entries(hit[c]).filter(([k]) => k.startsWith(corpus));
    if (e.length)
      console.log(
        c.padEnd(14),
        corpus,
        `UA ${((100 * e.reduce((s, [, [n, k]]) => s + k / n, 0)) / e.length).toFixed(1)}%`,
      );
  }
}
