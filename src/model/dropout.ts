// Dropout in training, the same bits as tfjs-core's `dropout`, sooner. tfjs draws the mask's uniform
// numbers one call at a time through seedrandom's Alea generator into a JavaScript buffer, then runs
// add, floor and divide over the whole activation before the multiply: on `crnn`, 11.2 ms of a
// 119 ms training step under the CPU profiler (batch 32, one thread). Here the same generator runs on the SIMD module
// (src/dsp/simd/dropout.h: integer steps, 0.9 ns a number) and writes the multipliers directly,
// and only the multiply is a kernel.
import type * as TF from '@tensorflow/tfjs-core';
import type * as TFL from '@tensorflow/tfjs-layers';
import { WASM_BUDGET, getRuntime, scratch } from '../dsp/simd-runtime.js';

const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/** Baagoe's Mash, Alea's seeding hash: each call folds `data` into the running state and returns a number in [0, 1). */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h = (h - n) * n;
      n = h >>> 0;
      n += (h - n) * 0x100000000;
    }
    return (n >>> 0) * TWO_TO_MINUS_32;
  };
}

/**
 * Alea's state [s0, s1, s2, c] seeded with `seed`, as seedrandom's `alea(seed)` (tfjs-core's
 * `UniformRandom`, which seeds it with a number's decimal string) seeds it. @internal
 */
export function aleaState(seed: string): [number, number, number, number] {
  const m = mash();
  const s = [m(' '), m(' '), m(' ')];
  for (let i = 0; i < 3; i++) {
    s[i] -= m(seed);
    if (s[i] < 0) s[i] += 1;
  }
  return [s[0], s[1], s[2], 1];
}

/**
 * The multipliers tfjs-core's `dropout(x, rate, undefined, seed)` applies to x, one per value of
 * `out`: floor(u + keep) / keep in float32, for u the float32 of Alea's next number and keep = 1 −
 * rate, so 1/keep (float32) for a value kept and 0 for one dropped. On the SIMD module where it
 * runs, unless `onModule` is false (JavaScript: the fallback, tested on its own). @internal
 */
export function dropoutMultipliers(
  seed: number | string,
  rate: number,
  out: Float32Array,
  onModule = true,
): void {
  const kept = Math.fround(1 / Math.fround(1 - rate));
  const lo = keptFrom(rate);
  const state = aleaState(String(seed));
  const rt = onModule ? getRuntime() : null;
  if (rt) {
    // The state as integers (the fractions times 2³², exact), carried from one chunk to the next.
    const chunk = Math.min(out.length, (WASM_BUDGET - 32) / 4);
    const at = scratch(rt, 32 + 4 * chunk);
    new Float64Array(rt.memory.buffer, at, 4).set([...state.slice(0, 3).map((v) => v * 2 ** 32), state[3]]);
    for (let i0 = 0; i0 < out.length; i0 += chunk) {
      const n = Math.min(chunk, out.length - i0);
      rt.exports.dropout_alea_f32(n, at, lo, kept, at + 32);
      out.set(new Float32Array(rt.memory.buffer, at + 32, n), i0);
    }
    return;
  }
  const least = lo * TWO_TO_MINUS_32;
  let [s0, s1, s2, c] = state;
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + c * TWO_TO_MINUS_32;
    s0 = s1;
    s1 = s2;
    c = Math.trunc(t);
    s2 = t - c;
    out[i] = s2 >= least ? kept : 0;
  }
}

/**
 * The least D (an integer, 0 … 2³²) from which a number u = D · 2⁻³² of Alea keeps a value at dropout
 * `rate`: float32(u) + keep ≥ 1 in float32, keep = float32(1 − rate). That grows with D, so it holds
 * from there on. @internal
 */
export function keptFrom(rate: number): number {
  const keep = Math.fround(1 - rate);
  const holds = (d: number) => Math.fround(Math.fround(d * TWO_TO_MINUS_32) + keep) >= 1;
  let [lo, hi] = [0, 2 ** 32];
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Room for the multipliers on the wasm backend, which copies a new tensor's values into its heap. */
let room = new Float32Array(0);

/** The parts of a tfjs-layers Dropout layer this module reads. */
interface DropoutLayer {
  rate: number;
  seed?: number;
  noiseShape?: unknown;
  call(inputs: TF.Tensor | TF.Tensor[], kwargs: { training?: boolean }): TF.Tensor | TF.Tensor[];
  invokeCallHook(inputs: TF.Tensor | TF.Tensor[], kwargs: object): void;
  /** Set once the layer runs {@link fastDropouts}' call. */
  fastDropout?: true;
}

/**
 * Gives each Dropout layer of `net` a call that, when training with a seed (as `fit` trains) on the
 * wasm or cpu backend, multiplies by {@link dropoutMultipliers} instead of tfjs-core's `dropout`:
 * the same multipliers and the same multiply, so the same outputs and gradients bit for bit. Other
 * calls (inference, no seed, a noise shape, other backends, whose arithmetic may not be IEEE
 * float32) go to the layer's own. Idempotent. @internal
 */
export function fastDropouts(tf: typeof TF, net: TFL.LayersModel): void {
  for (const layer of net.layers) {
    if (layer.getClassName() !== 'Dropout') continue;
    const l = layer as unknown as DropoutLayer;
    if (l.fastDropout) continue;
    const own = l.call;
    l.fastDropout = true;
    l.call = function (this: DropoutLayer, inputs, kwargs) {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (
        !kwargs?.training ||
        !(l.rate > 0 && l.rate < 1) ||
        l.seed == null ||
        l.noiseShape != null ||
        (Array.isArray(inputs) && inputs.length !== 1) ||
        x.dtype !== 'float32' ||
        !['wasm', 'cpu'].includes(tf.getBackend())
      )
        return own.call(this, inputs, kwargs);
      return tf.tidy(() => {
        l.invokeCallHook(inputs, kwargs);
        // The cpu backend keeps a new tensor's array: a new one for it.
        if (tf.getBackend() === 'wasm' && room.length < x.size) room = new Float32Array(x.size);
        const m = tf.getBackend() === 'wasm' ? room.subarray(0, x.size) : new Float32Array(x.size);
        dropoutMultipliers(l.seed as number, l.rate, m);
        return tf.mul(x, tf.tensor(m, x.shape));
      });
    };
  }
}
