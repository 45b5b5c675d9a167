// Constant memory over any length: `speech-emotion predict --timeline` on a 75-minute recording
// built from the datasets (RAVDESS, then SAVEE, end to end, 16-bit 16 kHz WAV). Prints the CLI's
// peak resident memory (VmHWM, polled from /proc) and its real-time factor.
//   --minutes N   length of the recording (default 75)
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWav, toMono } from '../dist/index.js';
import { DATA_DIR, ROOT, args, fmt, ravdessFiles, requireData, wavData, wavHeader } from './common.mjs';

const opt = args({ minutes: 75 });
requireData();
const SR = 16000;
const target = opt.minutes * 60 * SR;
const files = [
  ...ravdessFiles(),
  ...readdirSync(join(DATA_DIR, 'savee'))
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => join(DATA_DIR, 'savee', f)),
];
const path = join(tmpdir(), `se-stream-${process.pid}.wav`);
const fd = openSync(path, 'w');
writeSync(fd, new Uint8Array(44)); // header written at the end
let samples = 0;
for (let i = 0; samples < target; i++) {
  const { sampleRate, channels } = decodeWav(readFileSync(files[i % files.length]));
  if (sampleRate !== SR) continue;
  const x = toMono(channels).subarray(0, target - samples);
  writeSync(fd, wavData(x));
  samples += x.length;
}
writeSync(fd, wavHeader(samples, SR), 0, 44, 0);
closeSync(fd);
const seconds = samples / SR;
console.log(
  `stream: ${fmt(seconds / 60, 1)} min of 16 kHz speech (${fmt((2 * samples) / 1e6)} MB WAV) → predict --timeline --json`,
);

const started = performance.now();
const child = spawn(
  process.execPath,
  [join(ROOT, 'dist', 'cli.js'), 'predict', path, '--timeline', '--json'],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let out = '';
let progress = '';
child.stdout.on('data', (d) => {
  out += d;
});
child.stderr.on('data', (d) => {
  progress += d;
});
let peakKb = 0;
const poll = setInterval(() => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    if (m) peakKb = Math.max(peakKb, Number(m[1]));
  } catch {}
}, 50);
const code = await new Promise((r) => child.on('close', r));
clearInterval(poll);
const wall = (performance.now() - started) / 1000;
rmSync(path, { force: true });
if (code !== 0) {
  console.error(progress);
  process.exit(1);
}
const { segments } = JSON.parse(out.trim().split('\n').at(-1));
console.log(progress.trim().split('\n').slice(-2).join('\n'));
console.log(`  ${segments.length} segments in ${fmt(wall, 1)} s: ${fmt(seconds / wall)}× real time`);
console.log(`  peak resident memory of the CLI: ${fmt(peakKb / 1024)} MB (VmHWM)`);
console.log(
  `targets: peak < 200 MB ${peakKb / 1024 < 200 ? 'met' : 'MISSED'}; ≥ 150× real time ${seconds / wall >= 150 ? 'met' : 'MISSED'}`,
);
