// The analysis worker: features and plots with speech-emotion, the bundled default model on the
// best backend this browser has (WebGPU, then WebGL, then wasm, then cpu).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import {
  EmotionModel,
  drawFigure,
  formatAudioSummary,
  plotAudio,
  summarizeAudio,
  useBackend,
} from 'speech-emotion';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
tf.env().set('PROD', true);

let canvas = null;
let model = null;
const post = (m) => self.postMessage(m);

async function start() {
  let backend = null;
  for (const name of ['webgpu', 'webgl', 'wasm', 'cpu']) {
    if (name === 'webgpu' && !self.navigator.gpu) continue;
    try {
      backend = await useBackend(name);
      break;
    } catch {
      // not available here: try the next one
    }
  }
  model = await EmotionModel.load();
  // One warm-up prediction compiles the backend's kernels before the user's first file.
  await model.predict(
    new Float32Array(16000).map((_, i) => 0.1 * Math.sin(i / 5) * Math.sin(i / 900)),
    {
      sampleRate: 16000,
    },
  );
  post({ type: 'ready', backend });
}

async function analyse({ signal, sampleRate, channels, name }) {
  const seconds = signal.length / sampleRate;
  post({ type: 'progress', text: `Analysing ${name} (${seconds.toFixed(1)} s)…` });
  const summary = summarizeAudio(signal, sampleRate, channels);
  if (canvas && seconds > 0)
    drawFigure(plotAudio(signal, sampleRate, { title: name, channels, width: 900 }), canvas);
  let prediction;
  let timeline = null;
  if (seconds > 5) {
    // Longer recordings: the emotion over time, and overall the mean of the windows with speech.
    timeline = await model.predictTimeline(signal, { sampleRate, window: 3, hop: 1.5 });
    const speech = timeline.filter((s) => s.label);
    if (speech.length) {
      const scores = {};
      for (const l of model.labels) scores[l] = speech.reduce((a, s) => a + s.scores[l], 0) / speech.length;
      const label = model.labels.reduce((a, b) => (scores[b] > scores[a] ? b : a));
      prediction = {
        label,
        scores,
        uncertain: scores[label] < (model.calibration?.uncertainBelow ?? 0.5),
        // Unfamiliar when most speech windows were (their scores are already softened).
        unfamiliar: speech.filter((s) => s.unfamiliar).length > speech.length / 2,
      };
    } else prediction = { label: null, scores: {}, warning: timeline[0]?.warning ?? 'silent' };
  } else {
    prediction = await model.predict(signal, { sampleRate });
  }
  post({ type: 'result', prediction, timeline, summary: formatAudioSummary(summary).replace(/\n/g, ' · ') });
}

/**
 * Live analysis while someone speaks: chunks from the capture worklet (on `port`) feed
 * EmotionModel.predictStream, and each 3 s window, every second, goes back to the page as soon as
 * it is predicted.
 */
function live({ port, sampleRate }) {
  const queue = [];
  let wake = null;
  let ended = false;
  port.onmessage = ({ data }) => {
    queue.push(data);
    wake?.();
  };
  const chunks = (async function* () {
    for (;;) {
      while (queue.length) yield queue.shift();
      if (ended) return;
      await new Promise((r) => {
        wake = r;
      });
      wake = null;
    }
  })();
  const stop = () => {
    ended = true;
    wake?.();
  };
  const run = (async () => {
    for await (const segment of model.predictStream(chunks, { sampleRate, window: 3, hop: 1 }))
      post({ type: 'live-segment', segment });
    post({ type: 'live-done' });
  })().catch((e) => post({ type: 'live-error', message: e?.message ?? String(e) }));
  return { stop, run };
}

let session = null;
self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') {
      canvas = data.canvas;
      await start();
    } else if (data.type === 'analyse') {
      await analyse(data);
    } else if (data.type === 'live-start') {
      session = live(data);
    } else if (data.type === 'live-stop') {
      session?.stop();
      session = null;
    }
  } catch (e) {
    post({ type: 'error', message: e?.message ?? String(e) });
  }
};
