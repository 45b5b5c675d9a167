// The page: takes audio (file, drop or microphone), hands it to the worker, shows the results.
// Everything heavy (features, plots, the model) runs in worker.js, off the main thread.
import { CLIPPED_ABOVE, clippingShare, decodeAudio, mixLossDb, toMono } from 'speech-emotion';

const $ = (id) => document.getElementById(id);
const COLOURS = {
  neutral: '#999999',
  calm: '#56b4e9',
  happy: '#e69f00',
  sad: '#0072b2',
  angry: '#d55e00',
  fearful: '#cc79a7',
  disgust: '#009e73',
  surprised: '#f0e442',
};

// A heartbeat that only advances while the main thread is free: the page stays responsive.
let beats = 0;
setInterval(() => {
  $('heartbeat').textContent = String(++beats);
}, 100);

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const offscreen = $('plots').transferControlToOffscreen();
worker.postMessage({ type: 'init', canvas: offscreen }, [offscreen]);

let busy = false;
/** Whether the file being analysed had channels that cancel out when mixed (see `analyse`). */
let cancelled = false;
/** How much of it sat flat at full scale, when it clipped (see `analyse`); else 0. */
let clipped = 0;
/** The last file decoded, kept so that another of its channels can be analysed (see `run`). */
let decoded = null;
function message(text, isError = false) {
  $('message').textContent = text;
  $('message').className = isError ? 'error' : '';
}

worker.onmessage = ({ data }) => {
  if (data.type === 'ready') {
    $('backend').textContent = `default model on ${data.backend}`;
    document.body.dataset.ready = 'true';
    message('Ready: pick, drop or record some speech.');
  } else if (data.type === 'progress') {
    message(data.text);
  } else if (data.type === 'error') {
    busy = false;
    $('channel').disabled = false;
    document.body.dataset.state = 'error';
    message(data.message, true);
  } else if (data.type === 'result') {
    busy = false;
    $('channel').disabled = false;
    show(data);
  } else if (data.type === 'live-segment') {
    showLive(data.segment);
  } else if (data.type === 'live-error') {
    message(`Live analysis stopped: ${data.message}`, true);
  }
};

/** While recording: the current emotion and a timeline that grows by one window a second. */
let liveStarted = 0;
function showLive(s) {
  const when = (performance.now() - liveStarted) / 1000;
  $('live').hidden = false;
  $('live-label').textContent = s.label ?? '…';
  const cell = document.createElement('div');
  cell.style.background = s.label ? COLOURS[s.label] : '#eee';
  cell.title = `${s.start.toFixed(1)}–${s.end.toFixed(1)} s: ${s.label ?? s.warning}`;
  cell.textContent = s.label ? s.label.slice(0, 3) : '';
  // For the end-to-end test: when each window arrived, against the end of the audio it covers.
  cell.dataset.end = String(s.end);
  cell.dataset.arrived = when.toFixed(3);
  $('live-timeline').append(cell);
  document.body.dataset.liveSegments = String($('live-timeline').childElementCount);
}

function show({ prediction, timeline, summary }) {
  $('result').hidden = false;
  $('summary').textContent = summary;
  const scores = $('scores');
  scores.replaceChildren();
  if (prediction.label === null) {
    const why = {
      silent: 'The recording is silent.',
      'too-short': 'The recording is too short to judge.',
      'no-speech': 'This does not sound like speech (noise, or a steady sound such as hum).',
    }[prediction.warning];
    $('label').textContent = 'none';
    message(why ?? 'No emotion could be judged.', true);
  } else {
    $('label').textContent = prediction.label;
    // `uncertain`: the top (calibrated) score is low, so the label is more likely wrong than right.
    // `unfamiliar`: the recording is unlike those the model learnt from (another voice, room or
    // microphone than its corpora), where it is right far less often; its scores are softened.
    // `analysed`: the model heard 3 s from where the sound starts, and the sound went on longer.
    const heard = prediction.analysed
      ? ` The model heard ${prediction.analysed.start.toFixed(1)}–${prediction.analysed.end.toFixed(1)} s of the sound, which lasts until ${prediction.analysed.soundEnd.toFixed(1)} s.`
      : '';
    const choice = $('channel').value;
    const channel =
      cancelled && choice === '0'
        ? ' The channels cancel out when mixed (one has its polarity reversed), so only the first was analysed.'
        : decoded?.channels.length > 1 && choice !== 'mix'
          ? ` Channel ${Number(choice) + 1} alone was analysed.`
          : '';
    // A recording driven past full scale: its tops are cut flat, which distorts the voice.
    const loud = clipped
      ? ` The recording clips (${(100 * clipped).toPrecision(2)}% of its samples sit flat at full scale): it was recorded too loud.`
      : '';
    message(
      (prediction.unfamiliar
        ? 'Done. This recording is unlike those the model learnt from: treat the label as a guess.'
        : prediction.uncertain
          ? 'Done. Low confidence: treat this label as a guess.'
          : 'Done.') +
        heard +
        channel +
        loud,
    );
    const entries = Object.entries(prediction.scores).sort((a, b) => b[1] - a[1]);
    for (const [label, p] of entries) {
      const name = document.createElement('span');
      name.textContent = label;
      const bar = document.createElement('div');
      bar.className = label === prediction.label ? 'bar top' : 'bar';
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      const value = document.createElement('span');
      value.textContent = `${(100 * p).toFixed(0)}%`;
      scores.append(name, bar, value);
    }
  }
  $('timeline-block').hidden = !timeline;
  if (timeline) {
    const row = $('timeline');
    row.replaceChildren();
    for (const s of timeline) {
      const cell = document.createElement('div');
      cell.style.background = s.label ? COLOURS[s.label] : '#eee';
      cell.title = `${s.start.toFixed(1)}–${s.end.toFixed(1)} s: ${s.label ?? s.warning}`;
      cell.textContent = s.label ? s.label.slice(0, 3) : '';
      row.append(cell);
    }
  }
  document.body.dataset.state = 'done';
}

/**
 * Analyses the chosen channel of the last file decoded (`'mix'`: all of them mixed) in the worker.
 * The signal is a copy, handed over to the worker, so that the decoded channels stay for another choice.
 */
function run() {
  const { sampleRate, channels, name } = decoded;
  $('channel').disabled = true; // until the result is in
  const choice = $('channel').value;
  const used = choice === 'mix' ? channels : [channels[Number(choice)]];
  const signal = used.length === 1 ? used[0].slice() : toMono(used);
  const share = Math.max(...used.map(clippingShare));
  clipped = share > CLIPPED_ABOVE ? share : 0;
  worker.postMessage({ type: 'analyse', signal, sampleRate, channels: channels.length, name }, [
    signal.buffer,
  ]);
}

$('channel').addEventListener('change', () => {
  if (busy || !decoded) return;
  busy = true;
  document.body.dataset.state = 'busy';
  $('result').hidden = true;
  message(`Analysing ${$('channel').selectedOptions[0].textContent}…`);
  run();
});

/** Decodes on the main thread (Web Audio is not available in workers), then analyses in the worker. */
async function analyse(bytes, name) {
  if (busy) return;
  busy = true;
  document.body.dataset.state = 'busy';
  $('result').hidden = true;
  message(`Decoding ${name}…`);
  try {
    const { sampleRate, channels } = await decodeAudio(bytes);
    decoded = { sampleRate, channels, name };
    // Channels that cancel out when mixed (one wired with its polarity reversed) would leave next to
    // nothing of the voice: the first channel alone is analysed instead, and the result says so.
    cancelled = mixLossDb(channels) > 10;
    const labels = channels.length === 2 ? ['1 (left)', '2 (right)'] : channels.map((_, i) => `${i + 1}`);
    $('channel').replaceChildren(
      ...['both, mixed', ...labels].map((text, i) => new Option(text, i === 0 ? 'mix' : String(i - 1))),
    );
    $('channel').value = cancelled ? '0' : 'mix';
    $('channel-block').hidden = channels.length < 2;
    run();
  } catch (e) {
    busy = false;
    decoded = null;
    $('channel-block').hidden = true;
    document.body.dataset.state = 'error';
    message(
      `Cannot read ${name}: ${e.code === 'INVALID_AUDIO' || e.code === 'UNSUPPORTED_AUDIO' ? 'it is not an audio file this browser can decode.' : e.message}`,
      true,
    );
  }
}

$('file').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  if (file) await analyse(new Uint8Array(await file.arrayBuffer()), file.name);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer?.files?.[0];
  if (file) await analyse(new Uint8Array(await file.arrayBuffer()), file.name);
});

// Microphone: MediaRecorder for the audio, an AnalyserNode for the level meter.
let recording = null;
$('record').addEventListener('click', async () => {
  if (recording || busy) return;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    const denied = e.name === 'NotAllowedError' || e.name === 'SecurityError';
    message(
      denied
        ? 'Microphone permission was denied. Allow the microphone for this page in the browser settings, or pick a file instead.'
        : `No microphone could be opened (${e.name}). Pick a file instead.`,
      true,
    );
    document.body.dataset.state = 'error';
    return;
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  const source = context.createMediaStreamSource(stream);
  source.connect(analyser);
  // Live: an AudioWorklet copies the samples and posts them straight to the worker (its port is
  // transferred), which predicts each window as soon as it is complete.
  let capture = null;
  try {
    await context.audioWorklet.addModule(new URL('./capture-worklet.js', import.meta.url));
    capture = new AudioWorkletNode(context, 'speech-emotion-capture');
    source.connect(capture);
    $('live-timeline').replaceChildren();
    $('live-label').textContent = '…';
    $('live').hidden = false;
    document.body.dataset.liveSegments = '0';
    worker.postMessage({ type: 'live-start', port: capture.port, sampleRate: context.sampleRate }, [
      capture.port,
    ]);
  } catch (e) {
    message(
      `Live analysis is not available in this browser (${e.message}); the recording is analysed when it stops.`,
    );
  }
  const buf = new Float32Array(analyser.fftSize);
  const chunks = [];
  const recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (e) => chunks.push(e.data);
  const started = performance.now();
  liveStarted = started;
  let frame = 0;
  const meter = () => {
    analyser.getFloatTimeDomainData(buf);
    let sq = 0;
    for (const v of buf) sq += v * v;
    const db = 10 * Math.log10(sq / buf.length + 1e-12);
    $('level').style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100)).toFixed(0)}%`;
    $('clock').textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`;
    frame = requestAnimationFrame(meter);
  };
  meter();
  recorder.onstop = async () => {
    cancelAnimationFrame(frame);
    if (capture) {
      source.disconnect(capture);
      worker.postMessage({ type: 'live-stop' });
    }
    for (const t of stream.getTracks()) t.stop();
    await context.close();
    $('level').style.width = '0';
    const blob = new Blob(chunks, { type: recorder.mimeType });
    await analyse(new Uint8Array(await blob.arrayBuffer()), 'the recording');
  };
  recorder.start(250);
  recording = { recorder, timer: setTimeout(() => $('stop').click(), 60_000) };
  $('record').disabled = true;
  $('stop').disabled = false;
  document.body.dataset.state = 'recording';
  message('Recording… press Stop when done (60 s at most).');
});
$('stop').addEventListener('click', () => {
  if (!recording) return;
  clearTimeout(recording.timer);
  recording.recorder.stop();
  recording = null;
  $('record').disabled = false;
  $('stop').disabled = true;
});
