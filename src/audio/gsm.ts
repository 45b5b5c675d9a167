// GSM 06.10 full-rate speech in WAV (tag 0x31, "WAV49"), as telephone systems save voicemail and
// calls: blocks of 65 bytes, each two 20 ms frames of 160 samples at 8 kHz, packed least
// significant bit first. The decoder is the standard's fixed-point one (ETSI EN 300 961), in 16-bit
// arithmetic with its saturations, so its samples are those of the reference decoder that
// libsndfile and SoX use. Unlike the other WAV encodings, each frame depends on the ones before.

const MIN = -32768;
const MAX = 32767;

/** 16-bit saturating addition and subtraction, and the rounded Q15 product, as the standard defines them. */
const add = (a: number, b: number) => Math.max(MIN, Math.min(MAX, a + b));
const sub = (a: number, b: number) => Math.max(MIN, Math.min(MAX, a - b));
const multR = (a: number, b: number) => (((a * b + 16384) >> 15) << 16) >> 16;
/** The synthesis filter's product, which gives the largest value, not a wrapped one, for −1 · −1. */
const multRFilter = (a: number, b: number) => (a === MIN && b === MIN ? MAX : multR(a, b));
/** Arithmetic shifts by a count that may be negative or large, as the standard's. */
function asr(a: number, n: number): number {
  if (n >= 16) return a < 0 ? -1 : 0;
  if (n <= -16) return 0;
  return n < 0 ? a << -n : a >> n;
}
const asl = (a: number, n: number) =>
  n >= 16 ? 0 : n <= -16 ? (a < 0 ? -1 : 0) : n < 0 ? asr(a, -n) : a << n;

/** Quantised long-term prediction gains, RPE mantissa factors. */
const QLB = [3277, 11469, 21299, 32767];
const FAC = [18431, 20479, 22527, 24575, 26623, 28671, 30719, 32767];
/** Per log-area ratio: its offset B, its code's bias MIC and the inverse of its scale A. */
const LAR_B = [0, 0, 2048, -2560, 94, -1792, -341, -1144];
const LAR_MIC = [-32, -32, -16, -16, -8, -8, -4, -4];
const LAR_INVA = [13107, 13107, 13107, 13107, 19223, 17476, 31454, 29708];
/** Bits of the eight log-area ratio codes. */
const LAR_BITS = [6, 6, 5, 5, 4, 4, 3, 3];

/** Samples per channel that a 65-byte block gives. @internal */
export const GSM_SAMPLES_PER_BLOCK = 320;
/** Bytes per block. @internal */
export const GSM_BLOCK_BYTES = 65;

/** A frame's coded parameters. */
interface Frame {
  lar: number[];
  lag: number[];
  gain: number[];
  grid: number[];
  scale: number[];
  pulses: number[];
}

/** Reads `n` bits at a time, least significant first, from the 65-byte block at `at`. */
function reader(u8: Uint8Array, at: number) {
  let p = 0;
  return (n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++, p++) v |= ((u8[at + (p >> 3)] >> (p & 7)) & 1) << i;
    return v;
  };
}

function readFrame(read: (n: number) => number): Frame {
  const f: Frame = { lar: LAR_BITS.map(read), lag: [], gain: [], grid: [], scale: [], pulses: [] };
  for (let j = 0; j < 4; j++) {
    f.lag.push(read(7));
    f.gain.push(read(2));
    f.grid.push(read(2));
    f.scale.push(read(6));
    for (let i = 0; i < 13; i++) f.pulses.push(read(3));
  }
  return f;
}

/** The regular pulse excitation of one subframe (40 samples) into `e`: 13 pulses on a grid, scaled. */
function excitation(scale: number, grid: number, pulses: number[], from: number, e: Int32Array): void {
  let exp = scale > 15 ? (scale >> 3) - 1 : 0;
  let mant = scale - (exp << 3);
  if (mant === 0) {
    exp = -4;
    mant = 7;
  } else {
    while (mant <= 7) {
      mant = (mant << 1) | 1;
      exp--;
    }
    mant -= 8;
  }
  const factor = FAC[mant];
  const shift = sub(6, exp);
  const round = asl(1, sub(shift, 1));
  e.fill(0);
  for (let i = 0; i < 13; i++) {
    const level = ((((pulses[from + i] << 1) - 7) << 12) << 16) >> 16;
    e[grid + 3 * i] = asr(add(multR(factor, level), round), shift);
  }
}

/**
 * Over a frame's first 40 samples the reflection coefficients move from the previous frame's
 * log-area ratios (`a`) to this one's (`b`): the samples each mix covers, `[start, end)`.
 */
const LAR_STEPS: [start: number, end: number, mix: (a: number, b: number) => number][] = [
  [0, 13, (a, b) => add(add(a >> 2, b >> 2), a >> 1)],
  [13, 27, (a, b) => add(a >> 1, b >> 1)],
  [27, 40, (a, b) => add(add(a >> 2, b >> 2), b >> 1)],
  [40, 160, (_a, b) => b],
];

/** Log-area ratios to reflection coefficients, in place. */
function toReflection(lar: Int32Array): void {
  for (let i = 0; i < 8; i++) {
    const t = lar[i] < 0 ? (lar[i] === MIN ? MAX : -lar[i]) : lar[i];
    const r = t < 11059 ? t << 1 : t < 20070 ? t + 11059 : add(t >> 2, 26112);
    lar[i] = lar[i] < 0 ? -r : r;
  }
}

/**
 * A decoder of whole blocks that keeps the state of the frames before (the pitch history, the
 * previous frame's log-area ratios, the synthesis filter and de-emphasis memories): one per pass
 * over a file, fed its blocks in order. @internal
 */
export function gsmBlockDecoder(): (u8: Uint8Array, at: number, blocks: number) => Float32Array[] {
  const history = new Int32Array(120 + 40); // the excitation's last 120 samples, then this subframe's
  let lag = 40;
  let previous = new Int32Array(8);
  let current = new Int32Array(8);
  const v = new Int32Array(9);
  let deemphasis = 0;
  // Scratch of one frame: its excitation, the long-term filter's output, the reflection coefficients.
  const e = new Int32Array(40);
  const wt = new Int32Array(160);
  const r = new Int32Array(8);

  const frame = (f: Frame, out: Float32Array, o: number) => {
    for (let j = 0; j < 4; j++) {
      excitation(f.scale[j], f.grid[j], f.pulses, 13 * j, e);
      lag = f.lag[j] < 40 || f.lag[j] > 120 ? lag : f.lag[j];
      const gain = QLB[f.gain[j]];
      for (let k = 0; k < 40; k++) history[120 + k] = add(e[k], multR(gain, history[120 + k - lag]));
      wt.set(history.subarray(120), 40 * j);
      history.copyWithin(0, 40);
    }
    for (let i = 0; i < 8; i++) {
      const t = multR(LAR_INVA[i], sub(add(f.lar[i], LAR_MIC[i]) << 10, LAR_B[i] << 1));
      current[i] = add(t, t);
    }
    for (const [start, end, mix] of LAR_STEPS) {
      for (let i = 0; i < 8; i++) r[i] = mix(previous[i], current[i]);
      toReflection(r);
      for (let k = start; k < end; k++) {
        let s = wt[k];
        for (let i = 7; i >= 0; i--) {
          s = sub(s, multRFilter(r[i], v[i]));
          v[i + 1] = add(v[i], multRFilter(r[i], s));
        }
        v[0] = s;
        deemphasis = add(s, multR(deemphasis, 28180));
        out[o + k] = (((add(deemphasis, deemphasis) & 0xfff8) << 16) >> 16) / 32768;
      }
    }
    [previous, current] = [current, previous];
  };

  return (u8, at, blocks) => {
    const out = new Float32Array(blocks * GSM_SAMPLES_PER_BLOCK);
    for (let b = 0; b < blocks; b++) {
      const read = reader(u8, at + b * GSM_BLOCK_BYTES);
      frame(readFrame(read), out, b * GSM_SAMPLES_PER_BLOCK);
      frame(readFrame(read), out, b * GSM_SAMPLES_PER_BLOCK + 160);
    }
    return [out];
  };
}
