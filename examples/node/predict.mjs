// The emotion of a recording with the bundled default model, overall and over time.
//   node examples/node/predict.mjs [file.wav]      (default: examples/audio/sample.wav)
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { EmotionModel, SpeechEmotionError, readMono, useBackend } from 'speech-emotion/node';

tf.env().set('PROD', true); // no "running TensorFlow.js in Node" banner
const file = process.argv[2] ?? fileURLToPath(new URL('../audio/sample.wav', import.meta.url));

try {
  await useBackend('wasm');
  const model = await EmotionModel.load();
  const { signal, sampleRate, warnings } = await readMono(file);
  // What the file itself gives away: damage, channels that cancel out, clipping (recorded too loud).
  for (const w of warnings ?? []) console.warn(`${file}: warning: ${w}`);
  const { label, scores, warning, uncertain, unfamiliar, analysed } = await model.predict(signal, {
    sampleRate,
  });
  if (label === null) console.log(`${file}: no emotion judged (${warning})`);
  else {
    // uncertain: the top score is under 0.5; unfamiliar: the recording is unlike the model's
    // training recordings (another voice, room or microphone), where it is right far less often.
    console.log(
      `${file}: ${label}${uncertain ? ', uncertain' : ''}${unfamiliar ? ', unfamiliar audio' : ''}`,
    );
    for (const [l, p] of Object.entries(scores).sort((a, b) => b[1] - a[1]))
      console.log(`  ${l.padEnd(10)} ${(100 * p).toFixed(1).padStart(5)}%`);
    // The model hears 3 s from where the sound starts; `analysed` says so when more went unheard.
    if (analysed)
      console.log(
        `  (analysed ${analysed.start.toFixed(1)}–${analysed.end.toFixed(1)} s of sound lasting until ${analysed.soundEnd.toFixed(1)} s)`,
      );
  }
  const timeline = await model.predictTimeline(signal, { sampleRate, window: 2, hop: 1 });
  console.log(
    `over time: ${timeline.map((s) => `${s.start.toFixed(0)} s ${s.label ?? s.warning}`).join(' · ')}`,
  );
  model.dispose();
} catch (e) {
  if (!(e instanceof SpeechEmotionError)) throw e;
  console.error(`${file}: ${e.message}`);
  process.exit(1);
}
