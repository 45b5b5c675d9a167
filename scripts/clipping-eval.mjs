// How clippingShare judges real speech: every recording of the datasets as it is, scaled to full
// scale (saved as 16-bit), and driven 6 and 12 dB past full scale (clamped there, then 16-bit):
// how many of them are over CLIPPED_ABOVE, the line at which readMono and the CLI warn.
//   node scripts/clipping-eval.mjs [datasets folder]   (default: $SPEECH_EMOTION_DATA or ../shared/datasets)
// Needs the built package (npm run build).
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLIPPED_ABOVE, clippingShare, readMono } from '../dist/node.js';

const root = resolve(process.argv[2] ?? process.env.SPEECH_EMOTION_DATA ?? '../shared/datasets');
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) walk(join(dir, e.name));
    else if (/\.wav$/i.test(e.name)) files.push(join(dir, e.name));
};
walk(root);
const sixteenBit = (x) => x.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))) / 32768);
const driven = (x, db) => sixteenBit(x.map((v) => Math.max(-1, Math.min(1, v * 10 ** (db / 20)))));
const ways = {
  'as it is': (x) => x,
  'at full scale': (x) => sixteenBit(x),
  '6 dB past it': (x) => driven(x, 6),
  '12 dB past it': (x) => driven(x, 12),
};
const over = Object.fromEntries(Object.keys(ways).map((k) => [k, 0]));
for (const f of files) {
  const { signal } = await readMono(f);
  const peak = signal.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const full = signal.map((v) => v / peak);
  for (const [k, way] of Object.entries(ways))
    if (clippingShare(way(k === 'as it is' ? signal : full)) > CLIPPED_ABOVE) over[k]++;
}
console.log(`${files.length} recordings under ${root}; over ${CLIPPED_ABOVE} (warned as clipped):`);
for (const [k, n] of Object.entries(over))
  console.log(`  ${k.padEnd(14)} ${n} (${((100 * n) / files.length).toFixed(1)}%)`);
