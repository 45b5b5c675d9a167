// The frame features emotion work uses beyond MFCC, librosa's way: energy, zero crossings,
// spectral shape, chroma and pitch (pyin), summarised over a recording.
//   node examples/node/features.mjs [file.wav]
import { fileURLToPath } from 'node:url';
import {
  SpeechEmotionError,
  chromaStft,
  pyin,
  readMono,
  rms,
  spectralCentroid,
  spectralFlatness,
  zeroCrossingRate,
} from 'speech-emotion/node';

const file = process.argv[2] ?? fileURLToPath(new URL('../audio/sample.wav', import.meta.url));
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

try {
  const { signal, sampleRate } = await readMono(file);
  const frame = { sampleRate, frameLength: 1024, hopLength: 256 };
  const stft = { sampleRate, nFft: 1024, hopLength: 256 };
  const energy = rms(signal, frame).data;
  console.log(`${file}`);
  console.log(`  RMS energy      mean ${mean(energy).toFixed(4)}, max ${Math.max(...energy).toFixed(4)}`);
  console.log(`  zero crossings  mean ${mean(zeroCrossingRate(signal, frame).data).toFixed(3)} per sample`);
  console.log(`  centroid        mean ${mean(spectralCentroid(signal, stft).data).toFixed(0)} Hz`);
  console.log(`  flatness        mean ${mean(spectralFlatness(signal, stft).data).toFixed(4)}`);
  const chroma = chromaStft(signal, stft);
  const classes = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
  const per = classes.map((_, c) =>
    mean(Array.from({ length: chroma.frames }, (_, t) => chroma.data[t * 12 + c])),
  );
  console.log(`  chroma          strongest ${classes[per.indexOf(Math.max(...per))]}`);
  const { f0, voicedFlag } = pyin(signal, { sampleRate, fmin: 50, fmax: 500, frameLength: 2048 });
  const voiced = Array.from(f0).filter((_, t) => voicedFlag[t]);
  console.log(
    voiced.length
      ? `  pitch (pyin)    ${voiced.length} of ${f0.length} frames voiced, median ${voiced.sort((a, b) => a - b)[voiced.length >> 1].toFixed(0)} Hz`
      : '  pitch (pyin)    no voiced frame',
  );
} catch (e) {
  if (!(e instanceof SpeechEmotionError)) throw e;
  console.error(`${file}: ${e.message}`);
  process.exit(1);
}
