// What Chromium's own microphone processing (getUserMedia's echo cancellation, noise suppression and
// automatic gain control, on by default) does to predictions. Each held-out clip of fold 1 plays as
// Chromium's fake microphone; a page captures it with processing on and off (alternating which
// first), and a fold-1 model predicts the file, the raw capture and the processed one.
//   node mic-eval.mjs <fold-1 model dir> <clips per emotion> <out.json>
// Env: ONLY=ravdess|savee (one corpus), NOISE_SNR=<dB> (pink noise added first, seeded per clip,
// written as 16-bit WAV so that all three hear the same samples), SPEECH_EMOTION_DATA.
// Results: README.md, section "A browser's microphone processing, and noise that stops below 8 kHz".
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { chromium } from 'playwright-core';
import { EmotionModel, perturbAudio, readMono, useBackend } from '../../../../dist/node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../../examples/web/serve.mjs';
tf.env().set('PROD', true);
await useBackend('wasm');
const OUT = mkdtempSync(join(tmpdir(), 'mic-eval-'));
const [modelDir, perArg, outFile] = process.argv.slice(2);
const model = await EmotionModel.load(modelDir);
const D =
  process.env.SPEECH_EMOTION_DATA ?? new URL('../../../../../shared/datasets', import.meta.url).pathname;
const EMO = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happy',
  '04': 'sad',
  '05': 'angry',
  '06': 'fearful',
  '07': 'disgust',
  '08': 'surprised',
};
const SAV = { a: 'angry', d: 'disgust', f: 'fearful', h: 'happy', n: 'neutral', sa: 'sad', su: 'surprised' };
const per = Number(perArg ?? 5);
const clips = [];
for (const [e, label] of Object.entries(EMO)) {
  let k = 0;
  for (const actor of ['01', '02', '03', '04'])
    for (const f of readdirSync(join(D, 'ravdess', `Actor_${actor}`)).sort())
      if (
        f.split('-')[2] === e &&
        k++ % Math.ceil(16 / per) === 0 &&
        clips.filter((c) => c.label === label && c.corpus === 'ravdess').length < per
      )
        clips.push({ path: join(D, 'ravdess', `Actor_${actor}`, f), label, corpus: 'ravdess' });
}
const savee = readdirSync(join(D, 'savee'))
  .filter((f) => f.startsWith('DC_'))
  .sort()
  .map((f) => join(D, 'savee', f));
for (const [code, label] of Object.entries(SAV)) {
  const mine = savee.filter(
    (p) =>
      p
        .split('/')
        .pop()
        .replace(/^DC_/, '')
        .replace(/[0-9]+\.wav$/, '') === code,
  );
  for (let i = 0; i < per; i++)
    clips.push({ path: mine[Math.floor((i * mine.length) / per)], label, corpus: 'savee' });
}
if (process.env.ONLY) clips.splice(0, clips.length, ...clips.filter((c) => c.corpus === process.env.ONLY));
console.log(clips.length, 'clips');
const page0 = `<!doctype html><meta charset=utf-8><script>
async function capture(processing, seconds) {
  const audio = processing ? true : { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  const stream = await navigator.mediaDevices.getUserMedia({ audio });
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(stream);
  const proc = ctx.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  proc.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  src.connect(proc); proc.connect(ctx.destination);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stream.getTracks().forEach((t) => t.stop());
  const rate = ctx.sampleRate; await ctx.close();
  const n = chunks.reduce((a, c) => a + c.length, 0); const all = new Float32Array(n); let o = 0;
  for (const c of chunks) { all.set(c, o); o += c.length; }
  const settings = stream.getAudioTracks()[0].getSettings();
  let s = ''; const b = new Uint8Array(all.buffer); for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return { rate, data: btoa(s), settings: JSON.stringify({ ec: settings.echoCancellation, ns: settings.noiseSuppression, agc: settings.autoGainControl }) };
}
</script>`;
const server = http
  .createServer((q, r) => {
    r.setHeader('content-type', 'text/html');
    r.end(page0);
  })
  .listen(0, '127.0.0.1');
await new Promise((r) => server.on('listening', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const results = [];
for (const [i, c] of clips.entries()) {
  let a = await readMono(c.path);
  let wav = c.path;
  const snr = process.env.NOISE_SNR;
  if (snr !== undefined) {
    a = perturbAudio(a.signal, a.sampleRate, {
      noiseSnrDb: Number(snr),
      noiseColor: process.env.NOISE_COLOR ?? 'pink',
      seed: i + 1,
    });
    let peak = 0;
    for (const v of a.signal) peak = Math.max(peak, Math.abs(v));
    if (peak > 0.99) a = { ...a, signal: a.signal.map((v) => (v * 0.99) / peak) };
    wav = join(OUT, 'mic.wav');
    const n = a.signal.length;
    const b = Buffer.alloc(44 + 2 * n);
    b.write('RIFF', 0);
    b.writeUInt32LE(36 + 2 * n, 4);
    b.write('WAVEfmt ', 8);
    b.writeUInt32LE(16, 16);
    b.writeUInt16LE(1, 20);
    b.writeUInt16LE(1, 22);
    b.writeUInt32LE(a.sampleRate, 24);
    b.writeUInt32LE(2 * a.sampleRate, 28);
    b.writeUInt16LE(2, 32);
    b.writeUInt16LE(16, 34);
    b.write('data', 36);
    b.writeUInt32LE(2 * n, 40);
    for (let j = 0; j < n; j++)
      b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(a.signal[j] * 32767))), 44 + 2 * j);
    writeFileSync(wav, b);
    // The file as written (16-bit), so that all three hear the same samples.
    a = await readMono(wav);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const page = await browser.newPage();
  await page.goto(url);
  const seconds = a.signal.length / a.sampleRate + 0.3;
  const order = i % 2 ? [true, false] : [false, true];
  const got = {};
  for (const p of order) {
    const r = await page.evaluate(([p, s]) => capture(p, s), [p, seconds]);
    const buf = Buffer.from(r.data, 'base64');
    got[p ? 'processed' : 'raw'] = {
      signal: new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4).slice(),
      sampleRate: r.rate,
      settings: r.settings,
    };
  }
  await browser.close();
  const labels = c.corpus === 'savee' ? Object.values(SAV) : undefined;
  const row = { ...c, path: relative(D, c.path) };
  for (const [k, v] of Object.entries({ file: a, raw: got.raw, processed: got.processed })) {
    const p = await model.predict(v.signal, { sampleRate: v.sampleRate, ...(labels && { labels }) });
    row[k] = p.label;
    row[`${k}Scores`] = p.scores;
    row[`${k}Settings`] = v.settings;
    let e = 0;
    for (const x of v.signal) e += x * x;
    row[`${k}Rms`] = Math.sqrt(e / v.signal.length);
  }
  results.push(row);
  console.log(
    i,
    c.corpus,
    c.label,
    row.file,
    row.raw,
    row.processed,
    row.rawRms.toFixed(4),
    row.processedRms.toFixed(4),
    got.processed.settings,
    got.raw.settings,
  );
  writeFileSync(outFile, JSON.stringify(results));
}
server.close();
