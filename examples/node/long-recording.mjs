// The emotion over time of a recording of any length, in constant memory: the file is read in
// pieces and each 3 s window is predicted as soon as it has been read.
//   node examples/node/long-recording.mjs [file.wav] [--labels angry,neutral]
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { EmotionModel, SpeechEmotionError, streamMono, useBackend } from 'speech-emotion/node';

tf.env().set('PROD', true);
const args = process.argv.slice(2);
const at = args.indexOf('--labels');
const labels = at >= 0 ? args.splice(at, 2)[1].split(',') : undefined;
const file = args[0] ?? fileURLToPath(new URL('../audio/sample.wav', import.meta.url));

try {
  await useBackend('wasm');
  const model = await EmotionModel.load();
  const { sampleRate, duration, chunks, warnings } = await streamMono(file);
  for (const w of warnings ?? []) console.warn(`${file}: warning: ${w}`); // damage, cancelling channels, clipping
  console.log(`${file}: ${duration?.toFixed(1) ?? '?'} s at ${sampleRate} Hz`);
  for await (const s of model.predictStream(chunks, { sampleRate, window: 3, hop: 1, labels })) {
    const what = s.label === null ? `(${s.warning})` : `${s.label} ${(100 * s.scores[s.label]).toFixed(0)}%`;
    console.log(`  ${s.start.toFixed(1).padStart(6)}–${s.end.toFixed(1).padEnd(6)} s  ${what}`);
  }
  model.dispose();
} catch (e) {
  if (!(e instanceof SpeechEmotionError)) throw e;
  console.error(`${file}: ${e.message}`);
  process.exit(1);
}
