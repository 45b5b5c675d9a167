// Streams a WAV file through MfccStream in 20 ms chunks, as a live microphone would deliver it,
// and checks the result equals whole-clip extraction (topDb: null makes them identical).
//   node examples/node/stream.mjs path/to/file.wav
import { MfccStream, extractMfcc } from 'speech-emotion';
import { readMono } from 'speech-emotion/node';

const path = process.argv[2];
if (!path) {
  console.error('usage: node examples/node/stream.mjs <file.wav>');
  process.exit(2);
}
const { signal, sampleRate } = await readMono(path);
const options = { sampleRate, nMfcc: 13, topDb: null };
const stream = new MfccStream(options);
const chunk = Math.round(sampleRate * 0.02);
let frames = 0;
for (let i = 0; i < signal.length; i += chunk) frames += stream.push(signal.subarray(i, i + chunk)).frames;
frames += stream.flush().frames;
const whole = extractMfcc(signal, options);
console.log(
  `streamed ${frames} frames in ${Math.ceil(signal.length / chunk)} chunks; whole clip: ${whole.frames} frames`,
);
process.exit(frames === whole.frames ? 0 : 1);
