// Training speed of two builds, interleaved, so that a kernel change is measured against its
// baseline on the same machine at the same time (this machine's speed drifts by 20% or more between
// runs). Each round runs every build in a fresh process, alternating; the median per build counts.
//   node bench/train-compare.mjs <dist-A/node.js> <dist-B/node.js> [--rounds 3] [--batches 4] [--fit]
// With --fit, each round times whole epochs of EmotionModel.fit instead (the optimizer, the batch
// assembly and the data-parallel exchange included): the reference CNN and crnn, on one thread and
// on two. With --fit, a build given as `dist/node.js#exact` trains with `fusedMultiplyAdd: false`:
// `node --experimental-wasm-relaxed-simd bench/train-compare.mjs dist/node.js#exact dist/node.js
// --fit` times the fused convolutions against multiply-then-add in one build (Node 20 needs the flag).
// --archs cnn2d,'cnn2d ×2' times only those (a name, with --fit ` ×2` for two threads).
// --clips N (with --fit): epochs of N random clips, scaled to 1560 (default 1560).
// A baseline build: `git worktree add /tmp/base <commit> && cd /tmp/base && ln -s <repo>/node_modules
// && npx tsup` gives /tmp/base/dist/node.js.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt } from './common.mjs';
import { benchModel, fitEpoch } from './train-models.mjs';

// A child (TRAIN_COMPARE_CHILD) gets one build and the parent's options: it has no second build.
const CHILD = Boolean(process.env.TRAIN_COMPARE_CHILD);
const [, , a, ...tail] = process.argv;
const [b, rest] = CHILD ? [undefined, tail] : [tail[0], tail.slice(1)];
const flag = (name, d) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? Number(rest[i + 1]) : d;
};
const FIT = rest.includes('--fit');
const only = rest.indexOf('--archs');
const ARCHS =
  only >= 0
    ? rest[only + 1].split(',')
    : FIT
      ? ['reference', 'reference ×2', 'crnn', 'crnn ×2']
      : ['reference', 'cnn1d', 'crnn', 'cnn2d'];

if (CHILD) {
  // One build: seconds per epoch (1560 clips, batch 32) of each architecture, best of 2 rounds.
  // tfjs-layers first: loading it re-registers tfjs-core's gradients, so useBackend must come after
  // for trainOnBatch to train as EmotionModel.fit does.
  const tfl = await import('@tensorflow/tfjs-layers');
  // A build named `…/node.js#exact` trains with fusedMultiplyAdd: false (multiply, then add).
  const [path, mode] = a.split('#');
  const lib = await import(pathToFileURL(resolve(path)).href); // relative to the working folder
  const options = mode === 'exact' ? { fusedMultiplyAdd: false } : {};
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
  await lib.useBackend('wasm');
  const batches = flag('batches', 4);
  const out = {};
  if (FIT) {
    for (const name of ARCHS) {
      const [arch, two] = name.split(' ');
      const clips = flag('clips', 1560);
      out[name] = ((await fitEpoch(lib, tfl, arch, two ? 2 : 1, clips, options)).seconds * 1560) / clips;
    }
    console.log(JSON.stringify(out));
    process.exit(0);
  }
  for (const arch of ARCHS) {
    const { model } = await benchModel(lib, tfl, arch);
    const net = model.layersModel;
    net.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const x = tf.randomNormal([32, 300, 40]);
    const y = tf.oneHot(tf.randomUniform([32], 0, 8, 'int32'), 8);
    await net.trainOnBatch(x, y);
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 2; r++) {
      const t = performance.now();
      for (let i = 0; i < batches; i++) await net.trainOnBatch(x, y);
      best = Math.min(best, (performance.now() - t) / 1000 / batches);
    }
    out[arch] = best * 49;
    tf.dispose([x, y]);
    model.dispose();
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

const bad = ARCHS.filter((name) => {
  const [arch, two, more] = name.split(' ');
  return (
    !['reference', 'cnn1d', 'crnn', 'cnn2d', 'mlp'].includes(arch) || more || (two && (two !== '×2' || !FIT))
  );
});
if (bad.length) {
  console.error(
    `unknown --archs ${bad.join(', ')}: reference, cnn1d, crnn, cnn2d or mlp; with --fit, "<name> ×2" for two threads`,
  );
  process.exit(2);
}
if (!a || !b) {
  console.error(
    'usage: node bench/train-compare.mjs <dist-A/node.js> <dist-B/node.js> [--rounds 3] [--batches 4] [--fit]',
  );
  process.exit(2);
}
const rounds = flag('rounds', 3);
const runs = { A: [], B: [] };
for (let r = 0; r < rounds; r++)
  for (const [k, dist] of r % 2
    ? [
        ['B', b],
        ['A', a],
      ]
    : [
        ['A', a],
        ['B', b],
      ]) {
    // The children get this process's Node options (e.g. --single-threaded-gc, as train:default uses).
    const p = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), dist, ...rest],
      {
        encoding: 'utf8',
        env: { ...process.env, TRAIN_COMPARE_CHILD: '1' },
      },
    );
    if (p.status !== 0) throw new Error(`${dist}: ${p.stderr}`);
    runs[k].push(JSON.parse(p.stdout.trim().split('\n').at(-1)));
  }
const median = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(
  `train compare: seconds per epoch (1560 clips, wasm, ${FIT ? 'EmotionModel.fit, ×2: two threads' : 'trainOnBatch, one thread'}), median of ${rounds} interleaved rounds`,
);
console.log(`  A = ${a}\n  B = ${b}`);
for (const arch of ARCHS) {
  const ma = median(runs.A.map((r) => r[arch]));
  const mb = median(runs.B.map((r) => r[arch]));
  console.log(
    `  ${arch.padEnd(13)} A ${fmt(ma, 1).padStart(6)} s   B ${fmt(mb, 1).padStart(6)} s   A/B ${fmt(ma / mb, 2)}×`,
  );
}
