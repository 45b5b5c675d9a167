// ADPCM, 4 bits a sample: in WAV files IMA (DVI) ADPCM, tag 0x11, and Microsoft ADPCM, tag 0x02,
// as voice recorders, telephony systems and embedded devices write them; in AIFF-C files Apple's
// IMA4 ('ima4', QuickTime's IMA ADPCM). All code the audio in blocks that each start with a header
// per channel and decode on their own; a block gives `samplesPerBlock` samples per channel.

/** What a block decoder needs from the 'fmt ' chunk. @internal */
export interface AdpcmFormat {
  channels: number;
  blockAlign: number;
  samplesPerBlock: number;
  /** Microsoft ADPCM's predictor coefficient pairs (from the 'fmt ' chunk), `[c1, c2, c1, c2, …]`. */
  coefficients?: Int16Array;
}

/** Decodes `blocks` whole blocks starting at byte `at` of `u8`, one array per channel. */
export type BlockDecoder = (u8: Uint8Array, at: number, blocks: number) => Float32Array[];

const IMA_STEPS = new Int32Array([
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97,
  107, 118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724,
  796, 876, 963, 1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026,
  4428, 4871, 5358, 5894, 6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500,
  20350, 22385, 24623, 27086, 29794, 32767,
]);
const IMA_INDEX = [-1, -1, -1, -1, 2, 4, 6, 8];

/**
 * One IMA code applied to a channel's state (`[sample, step index]`, updated): the next sample, as
 * libsndfile computes it (the step's parts added bit by bit, then clamped).
 */
function imaNext(state: Int32Array, code: number): number {
  const step = IMA_STEPS[state[1]];
  let diff = step >> 3;
  if (code & 4) diff += step;
  if (code & 2) diff += step >> 1;
  if (code & 1) diff += step >> 2;
  const sample = Math.max(-32768, Math.min(32767, code & 8 ? state[0] - diff : state[0] + diff));
  state[0] = sample;
  state[1] = Math.max(0, Math.min(88, state[1] + IMA_INDEX[code & 7]));
  return sample;
}

/**
 * IMA ADPCM: per channel a 4-byte header (the first sample, int16, and the step index), then the
 * channels' codes interleaved 4 bytes (8 samples) at a time, low nibble first. @internal
 */
export function imaBlockDecoder({
  channels: nCh,
  blockAlign,
  samplesPerBlock: n,
}: AdpcmFormat): BlockDecoder {
  const state = new Int32Array(2);
  return (u8, at, blocks) => {
    const out = Array.from({ length: nCh }, () => new Float32Array(blocks * n));
    for (let b = 0; b < blocks; b++) {
      const block = at + b * blockAlign;
      for (let c = 0; c < nCh; c++) {
        const ch = out[c];
        const head = block + 4 * c;
        state[0] = ((u8[head] | (u8[head + 1] << 8)) << 16) >> 16;
        state[1] = Math.min(88, u8[head + 2]);
        let o = b * n;
        ch[o++] = state[0] / 32768;
        for (let i = 0; i < n - 1; i++) {
          // Sample i of this channel: group i >> 3 of 4 bytes, byte (i & 7) >> 1 of it, nibble i & 1.
          const byte = u8[block + 4 * nCh + 4 * (nCh * (i >> 3) + c) + ((i & 7) >> 1)];
          ch[o++] = imaNext(state, i & 1 ? byte >> 4 : byte & 15) / 32768;
        }
      }
    }
    return out;
  };
}

/** Bytes of an IMA4 packet (one channel's block) and the samples it gives. @internal */
export const IMA4_PACKET_BYTES = 34;
export const IMA4_PACKET_SAMPLES = 64;

/**
 * Apple's IMA4 (AIFF-C 'ima4'): a frame is one packet per channel, in channel order; a packet is a
 * 2-byte big-endian header (the predictor's top 9 bits, then the step index in 7) and 64 codes,
 * low nibble first. The header is not itself a sample. @internal
 */
export function ima4BlockDecoder(nCh: number): BlockDecoder {
  const state = new Int32Array(2);
  return (u8, at, blocks) => {
    const out = Array.from({ length: nCh }, () => new Float32Array(blocks * IMA4_PACKET_SAMPLES));
    for (let b = 0; b < blocks; b++) {
      for (let c = 0; c < nCh; c++) {
        const packet = at + (b * nCh + c) * IMA4_PACKET_BYTES;
        state[0] = ((u8[packet] << 24) | ((u8[packet + 1] & 0x80) << 16)) >> 16;
        state[1] = Math.min(88, u8[packet + 1] & 0x7f);
        const ch = out[c];
        let o = b * IMA4_PACKET_SAMPLES;
        for (let k = 2; k < IMA4_PACKET_BYTES; k++) {
          const byte = u8[packet + k];
          ch[o++] = imaNext(state, byte & 15) / 32768;
          ch[o++] = imaNext(state, byte >> 4) / 32768;
        }
      }
    }
    return out;
  };
}

const MS_ADAPTATION = [230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230];

/** Microsoft ADPCM's seven standard predictor coefficient pairs, which every encoder writes. */
const MS_COEFFICIENTS = new Int16Array([256, 0, 512, -256, 0, 0, 192, 64, 240, 0, 460, -208, 392, -232]);

/**
 * Microsoft ADPCM: a header of each channel's predictor (a byte each), step (int16 each) and last two
 * samples (int16 each, the older second), which are the block's first two samples; then codes
 * high nibble first, the channels alternating nibble by nibble. @internal
 */
export function msBlockDecoder({
  channels: nCh,
  blockAlign,
  samplesPerBlock: n,
  coefficients = MS_COEFFICIENTS,
}: AdpcmFormat): BlockDecoder {
  return (u8, at, blocks) => {
    const out = Array.from({ length: nCh }, () => new Float32Array(blocks * n));
    const v = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    const c1 = new Int32Array(nCh);
    const c2 = new Int32Array(nCh);
    const delta = new Int32Array(nCh);
    const s1 = new Int32Array(nCh);
    const s2 = new Int32Array(nCh);
    for (let b = 0; b < blocks; b++) {
      const block = at + b * blockAlign;
      for (let c = 0; c < nCh; c++) {
        const pair = 2 * Math.min(u8[block + c], coefficients.length / 2 - 1);
        c1[c] = coefficients[pair];
        c2[c] = coefficients[pair + 1];
        delta[c] = v.getInt16(block + nCh + 2 * c, true);
        s1[c] = v.getInt16(block + 3 * nCh + 2 * c, true);
        s2[c] = v.getInt16(block + 5 * nCh + 2 * c, true);
        out[c][b * n] = s2[c] / 32768;
        out[c][b * n + 1] = s1[c] / 32768;
      }
      // Codes: (n − 2) per channel, channel c of sample i at nibble i · nCh + c.
      const codes = block + 7 * nCh;
      for (let k = 0; k < (n - 2) * nCh; k++) {
        const c = k % nCh;
        const byte = u8[codes + (k >> 1)];
        const code = k & 1 ? byte & 15 : byte >> 4;
        const signed = code >= 8 ? code - 16 : code;
        const predicted = (s1[c] * c1[c] + s2[c] * c2[c]) >> 8;
        const sample = Math.max(-32768, Math.min(32767, predicted + signed * delta[c]));
        s2[c] = s1[c];
        s1[c] = sample;
        delta[c] = Math.max(16, (MS_ADAPTATION[code] * delta[c]) >> 8);
        out[c][b * n + 2 + Math.floor(k / nCh)] = sample / 32768;
      }
    }
    return out;
  };
}
