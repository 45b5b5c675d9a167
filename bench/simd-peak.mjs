// How fast this machine's WebAssembly can multiply and add at best: twelve independent chains of
// acc = acc · b + a on f32x4 vectors, in a loop with no memory traffic, so nothing but the
// arithmetic units limits it. Three ways:
//   - f32x4.mul then f32x4.add, on one thread: the 128-bit SIMD every runtime has, and what our
//     training kernels (and XNNPACK's) are made of;
//   - f32x4.relaxed_madd (fused multiply-add, from relaxed SIMD) on one thread, when the runtime
//     has it: this script turns on V8's `--experimental-wasm-relaxed-simd` for itself (Node 20
//     keeps it behind that flag; newer V8 ships it);
//   - mul then add on two worker threads at once: how far pure arithmetic scales over the cores.
// Set `bench:train-floor`'s GFLOP/s per kernel against these to see how much of the machine the
// convolutions use, and `bench:train`'s two-thread scaling against the last.
//   --seconds S   length of each timed run (default 0.5); the best of five runs is printed
//   --json        end with one JSON line

import { setFlagsFromString } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { args, fmt } from './common.mjs';

setFlagsFromString('--experimental-wasm-relaxed-simd'); // ignored where V8 has no such flag

const CHAINS = 12; // ≥ latency × pipes for both forms, and few enough for 16 xmm registers

/** LEB128 of an unsigned integer. */
function leb(n) {
  const out = [];
  let v = n;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

const SIMD = 0xfd;
const V128_CONST = [SIMD, ...leb(0x0c)];
const F32X4_ADD = [SIMD, ...leb(0xe4)];
const F32X4_MUL = [SIMD, ...leb(0xe6)];
const F32X4_RELAXED_MADD = [SIMD, ...leb(0x105)];
const splat = (x) => [...new Uint8Array(new Float32Array([x, x, x, x]).buffer)];

/** `f(n: i32) -> f32`: n iterations of the chains; returns lane 0 of their sum so none is dead. */
function peakModule(fused) {
  const A = CHAINS + 1; // locals: 0 = n, 1…CHAINS = accumulators, A, B = the constants
  const B = CHAINS + 2;
  const code = [...V128_CONST, ...splat(1e-6), 0x21, A, ...V128_CONST, ...splat(0.999999), 0x21, B];
  for (let i = 1; i <= CHAINS; i++) code.push(...V128_CONST, ...splat(i), 0x21, i);
  code.push(0x03, 0x40); // loop
  for (let i = 1; i <= CHAINS; i++) {
    if (fused) code.push(0x20, i, 0x20, B, 0x20, A, ...F32X4_RELAXED_MADD, 0x21, i);
    else code.push(0x20, i, 0x20, B, ...F32X4_MUL, 0x20, A, ...F32X4_ADD, 0x21, i);
  }
  code.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b); // n -= 1; br_if n; end loop
  code.push(0x20, 1);
  for (let i = 2; i <= CHAINS; i++) code.push(0x20, i, ...F32X4_ADD);
  code.push(SIMD, 0x1f, 0, 0x0b); // f32x4.extract_lane 0; end
  const body = [1, CHAINS + 2, 0x7b, ...code]; // one run of CHAINS + 2 v128 locals
  const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // type (i32) -> f32
    ...section(3, [1, 0]),
    ...section(7, [1, 1, 0x66, 0x00, 0]), // export "f"
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

/** Best GFLOP/s of five runs of about `seconds` each, or null when the runtime lacks the opcodes. */
function measure(fused, seconds) {
  let f;
  try {
    f = new WebAssembly.Instance(new WebAssembly.Module(peakModule(fused))).exports.f;
  } catch {
    return null;
  }
  // Warm up until the optimising tier has taken over (the baseline tier is several times slower).
  let n = 100_000;
  for (let t = 0; t < 0.2 * seconds; n *= 2) {
    const s = performance.now();
    f(n);
    t = (performance.now() - s) / 1000;
  }
  const s0 = performance.now();
  f(n);
  const per = (performance.now() - s0) / 1000 / n;
  const iters = Math.max(1, Math.round(seconds / per));
  let best = 0;
  for (let r = 0; r < 5; r++) {
    const s = performance.now();
    f(iters);
    best = Math.max(best, (iters * CHAINS * 8) / ((performance.now() - s) / 1000) / 1e9);
  }
  return best;
}

if (!isMainThread) {
  parentPort.postMessage(measure(false, workerData.seconds));
} else {
  const opt = args({ seconds: 0.5, json: false });
  const inWorker = () =>
    new Promise((res, rej) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { seconds: opt.seconds } });
      w.once('message', res);
      w.once('error', rej);
    });
  const one = measure(false, opt.seconds);
  const fused = measure(true, opt.seconds);
  const two = await Promise.all([inWorker(), inWorker()]);
  const both = two[0] + two[1];
  console.log(
    `WebAssembly f32x4 peak, ${CHAINS} independent multiply-add chains (best of 5 runs of ${opt.seconds} s)`,
  );
  console.log(`  mul + add, 1 thread:              ${fmt(one, 1)} GFLOP/s`);
  console.log(
    fused === null
      ? '  relaxed_madd, 1 thread:           not available in this runtime'
      : `  relaxed_madd, 1 thread:           ${fmt(fused, 1)} GFLOP/s (${fmt(fused / one, 2)}× mul + add)`,
  );
  console.log(
    `  mul + add, 2 threads at once:     ${fmt(two[0], 1)} + ${fmt(two[1], 1)} = ${fmt(both, 1)} GFLOP/s (${fmt(both / one, 2)}× 1 thread)`,
  );
  if (opt.json)
    console.log(JSON.stringify({ mulAdd: one, relaxedMadd: fused, twoThreads: two, scaling: both / one }));
}
