// Extraction throughput over all of ../shared/datasets (RAVDESS + SAVEE) with 1 and 2 workers,
// using the default FeatureSpec. Run with `npm run bench:extract`.
//   --reps N   timed repetitions per worker count, best taken (default 2)
//   --json     end with one JSON line of the figures
import { join } from 'node:path';
import { defineFeatureSpec, extractItems, scanDataset } from '../dist/node.js';
import { DATA_DIR, args, fmt, requireData } from './common.mjs';

const opt = args({ reps: 2, json: false });
requireData();
const spec = defineFeatureSpec();
const items = [
  ...(await scanDataset(join(DATA_DIR, 'ravdess'))).items,
  ...(await scanDataset(join(DATA_DIR, 'savee'))).items,
];

async function run(jobs) {
  let best = Number.POSITIVE_INFINITY;
  let audio = 0;
  let ok = 0;
  for (let r = 0; r < opt.reps; r++) {
    const t = performance.now();
    audio = 0;
    ok = 0;
    for await (const { result } of extractItems(items, spec, { jobs })) {
      if (result.ok) {
        ok++;
        audio += result.seconds;
      }
    }
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return { seconds: best, audio, ok };
}

console.log(
  `extract benchmark: ${items.length} files (RAVDESS + SAVEE), default FeatureSpec, best of ${opt.reps}; Node ${process.version}`,
);
const one = await run(1);
const two = await run(2);
for (const [jobs, r] of [
  [1, one],
  [2, two],
]) {
  console.log(
    `  ${jobs} worker(s): ${fmt(r.seconds, 2)} s, ${fmt(items.length / r.seconds)} files/s, ${fmt(r.audio / r.seconds)}× real time (${r.ok} files, ${fmt(r.audio)} s of audio)`,
  );
}
const speedup = one.seconds / two.seconds;
console.log(`  speed-up with 2 workers: ${fmt(speedup, 2)}×`);
console.log('\nTargets:');
console.log(`  ${speedup >= 1.7 ? 'met    ' : 'MISSED '} 2 workers ≥ 1.7× faster than 1`);
console.log(`  ${two.seconds <= 10 ? 'met    ' : 'MISSED '} whole set in ≤ 10 s with 2 workers`);
if (opt.json)
  console.log(
    JSON.stringify({
      files: items.length,
      oneWorkerSeconds: one.seconds,
      twoWorkerSeconds: two.seconds,
      speedup,
    }),
  );
