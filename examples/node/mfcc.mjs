// Prints the MFCCs of a WAV file, librosa-style, with deltas and per-utterance CMVN.
//   node examples/node/mfcc.mjs path/to/file.wav
import { cmvn, delta, extractMfcc, trimSilence } from 'speech-emotion';
import { readMono } from 'speech-emotion/node';

const path = process.argv[2];
if (!path) {
  console.error('usage: node examples/node/mfcc.mjs <file.wav>');
  process.exit(2);
}
try {
  const { signal, sampleRate } = await readMono(path);
  const { start, end } = trimSilence(signal, { topDb: 60 });
  const voiced = signal.subarray(start, end);
  const mfcc = extractMfcc(voiced, { sampleRate, nMfcc: 13, nFft: 512, hopLength: 160, winLength: 400 });
  const d1 = delta(mfcc);
  const normalised = cmvn(mfcc);
  console.log(
    `${path}: ${(signal.length / sampleRate).toFixed(2)} s at ${sampleRate} Hz, kept ${start}..${end}`,
  );
  console.log(`MFCC: ${mfcc.frames} frames × ${mfcc.features} coefficients`);
  console.log('frame 0 MFCC :', Array.from(mfcc.data.subarray(0, 13), (v) => v.toFixed(1)).join(' '));
  console.log('frame 0 Δ    :', Array.from(d1.data.subarray(0, 13), (v) => v.toFixed(2)).join(' '));
  console.log('frame 0 CMVN :', Array.from(normalised.data.subarray(0, 13), (v) => v.toFixed(2)).join(' '));
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}
