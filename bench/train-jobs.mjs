// Two trainings at once, one thread each, against data-parallel training on both threads (issue
// #15): what a cross-validation, whose folds and members are independent trainings, could gain
// from running them side by side instead of one after the other on two threads each.
//   node bench/train-jobs.mjs [--arch crnn] [--rounds 3]
// Each round, in fresh processes started with --single-threaded-gc (as `train:default` starts
// Node): one fit (3 epochs of 1560 random clips, batch 32, as bench/train-models.mjs's fitEpoch)
// on one thread; one fit on two threads (data-parallel); two one-thread fits at once. Prints each
// round's wall seconds (process start to exit, setup included) and the throughput of two fits at
// once over data-parallel, per round and the median. Timings swing by 20% or more between minutes
// on this machine, hence the rounds.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};

if (args[0] === '--child') {
  const { fitEpoch } = await import('./train-models.mjs');
  const tfl = await import('@tensorflow/tfjs-layers');
  const lib = await import('../dist/node.js');
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
  await lib.useBackend('wasm');
  await fitEpoch(lib, tfl, args[1], Number(args[2]));
  process.exit(0);
}

const arch = opt('arch', 'crnn');
const rounds = Number(opt('rounds', '3'));
const self = fileURLToPath(import.meta.url);

/** Wall seconds until every one of `workers` (one entry per process) has exited. */
async function wall(workers) {
  const start = performance.now();
  await Promise.all(
    workers.map(
      (w) =>
        new Promise((done, fail) => {
          const child = spawn(process.execPath, ['--single-threaded-gc', self, '--child', arch, String(w)], {
            stdio: 'inherit',
          });
          child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`a fit exited with ${code}`))));
        }),
    ),
  );
  return (performance.now() - start) / 1000;
}

const gains = [];
console.log(`${arch}, wall seconds per round (3 epochs of 1560 clips a fit, setup included):`);
console.log(
  '| round | one fit, 1 thread | one fit, 2 threads (data-parallel) | two 1-thread fits at once | two at once over data-parallel |',
);
console.log('| --- | --- | --- | --- | --- |');
for (let r = 1; r <= rounds; r++) {
  const one = await wall([1]);
  const parallel = await wall([2]);
  const both = await wall([1, 1]);
  const gain = (2 * parallel) / both;
  gains.push(gain);
  console.log(
    `| ${r} | ${one.toFixed(1)} | ${parallel.toFixed(1)} | ${both.toFixed(1)} | ${gain.toFixed(2)}× |`,
  );
}
gains.sort((a, b) => a - b);
console.log(
  `\nmedian: two one-thread fits at once do ${gains[gains.length >> 1].toFixed(2)}× the work of data-parallel training in the same time`,
);
