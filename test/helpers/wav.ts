/** Test-only WAV writer for every format the decoder claims to read. */
export type WavFormat = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'float64';

export function encodeWav(
  channels: Float32Array[],
  sampleRate: number,
  format: WavFormat,
  opts: { extensible?: boolean; extraChunks?: boolean } = {},
): Uint8Array {
  const bits = { pcm8: 8, pcm16: 16, pcm24: 24, pcm32: 32, float32: 32, float64: 64 }[format];
  const tag = format.startsWith('float') ? 3 : 1;
  const nCh = channels.length;
  const frames = channels[0].length;
  const bps = bits / 8;
  const dataSize = frames * nCh * bps;
  const fmtSize = opts.extensible ? 40 : 16;
  const extra = opts.extraChunks ? [chunk('LIST', 5), chunk('FLLR', 12)] : [];
  const extraSize = extra.reduce((a, c) => a + c.length, 0);
  const total = 12 + 8 + fmtSize + extraSize + 8 + dataSize + (dataSize & 1);
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  const str = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  str(0, 'RIFF');
  v.setUint32(4, total - 8, true);
  str(8, 'WAVE');
  let at = 12;
  // Unknown chunks before fmt, to prove order does not matter.
  for (const c of extra) {
    buf.set(c, at);
    at += c.length;
  }
  str(at, 'fmt ');
  v.setUint32(at + 4, fmtSize, true);
  v.setUint16(at + 8, opts.extensible ? 0xfffe : tag, true);
  v.setUint16(at + 10, nCh, true);
  v.setUint32(at + 12, sampleRate, true);
  v.setUint32(at + 16, sampleRate * nCh * bps, true);
  v.setUint16(at + 20, nCh * bps, true);
  v.setUint16(at + 22, bits, true);
  if (opts.extensible) {
    v.setUint16(at + 24, 22, true);
    v.setUint16(at + 26, bits, true);
    v.setUint32(at + 28, 0, true);
    v.setUint16(at + 32, tag, true);
  }
  at += 8 + fmtSize;
  str(at, 'data');
  v.setUint32(at + 4, dataSize, true);
  at += 8;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nCh; c++, at += bps) {
      const x = channels[c][i];
      if (format === 'pcm8') v.setUint8(at, Math.round(x * 128) + 128);
      else if (format === 'pcm16') v.setInt16(at, Math.round(x * 32768), true);
      else if (format === 'pcm24') {
        const q = Math.round(x * 8388608);
        v.setUint8(at, q & 0xff);
        v.setUint8(at + 1, (q >> 8) & 0xff);
        v.setUint8(at + 2, (q >> 16) & 0xff);
      } else if (format === 'pcm32') v.setInt32(at, Math.round(x * 2147483648), true);
      else if (format === 'float32') v.setFloat32(at, x, true);
      else v.setFloat64(at, x, true);
    }
  }
  return buf;
}

function chunk(id: string, size: number): Uint8Array {
  const c = new Uint8Array(8 + size + (size & 1));
  for (let i = 0; i < 4; i++) c[i] = id.charCodeAt(i);
  new DataView(c.buffer).setUint32(4, size, true);
  return c;
}

/** ITU-T G.711 encoders (the reference algorithm of Sun's g711.c), for test files. */
function segment(v: number, ends: number[]): number {
  for (let i = 0; i < ends.length; i++) if (v <= ends[i]) return i;
  return ends.length;
}
export function linearToUlaw(sample: number): number {
  let pcm = Math.max(-32768, Math.min(32767, Math.round(sample * 32768))) >> 2;
  let mask = 0xff;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  }
  pcm = Math.min(pcm, 8159) + 0x21;
  const seg = segment(pcm, [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff]);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0xf)) ^ mask;
}
export function linearToAlaw(sample: number): number {
  let pcm = Math.max(-32768, Math.min(32767, Math.round(sample * 32768))) >> 3;
  let mask = 0xd5;
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff]);
  if (seg >= 8) return 0x7f ^ mask;
  const a = (seg << 4) | ((seg < 2 ? pcm >> 1 : pcm >> seg) & 0xf);
  return a ^ mask;
}

/** A mono G.711 WAV (format tag 7 μ-law or 6 A-law) of `x`. */
export function encodeG711Wav(x: Float32Array, sampleRate: number, law: 'ulaw' | 'alaw'): Uint8Array {
  const wav = encodeWav([x], sampleRate, 'pcm8');
  const v = new DataView(wav.buffer);
  v.setUint16(20, law === 'ulaw' ? 7 : 6, true);
  const enc = law === 'ulaw' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < x.length; i++) wav[44 + i] = enc(x[i]);
  return wav;
}

/** An AIFF (big-endian 16-bit) or AIFF-C file of mono `x`: `compression` NONE, sowt or fl32. */
export function encodeAiff(
  x: Float32Array,
  sampleRate: number,
  compression?: 'NONE' | 'sowt' | 'fl32',
): Uint8Array {
  const aifc = compression !== undefined;
  const bits = compression === 'fl32' ? 32 : 16;
  const dataBytes = x.length * (bits / 8);
  const commSize = aifc ? 18 + 4 + 2 : 18; // + compression type and an empty pascal name
  const total = 12 + 8 + commSize + 8 + 8 + dataBytes;
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  const str = (at: number, s: string) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  str(0, 'FORM');
  v.setUint32(4, total - 8);
  str(8, aifc ? 'AIFC' : 'AIFF');
  str(12, 'COMM');
  v.setUint32(16, commSize);
  v.setInt16(20, 1);
  v.setUint32(22, x.length);
  v.setInt16(26, bits);
  // 80-bit extended sample rate.
  const e = Math.floor(Math.log2(sampleRate));
  v.setUint16(28, 16383 + e);
  const mant = sampleRate / 2 ** e; // in [1, 2)
  v.setUint32(30, Math.floor(mant * 2 ** 31));
  v.setUint32(34, 0);
  let at = 38;
  if (aifc) {
    str(38, compression);
    v.setUint16(42, 0);
    at = 44;
  }
  str(at, 'SSND');
  v.setUint32(at + 4, 8 + dataBytes);
  v.setUint32(at + 8, 0);
  v.setUint32(at + 12, 0);
  at += 16;
  for (let i = 0; i < x.length; i++) {
    if (compression === 'fl32') v.setFloat32(at + 4 * i, x[i]);
    else {
      const s = Math.max(-32768, Math.min(32767, Math.round(x[i] * 32768)));
      v.setInt16(at + 2 * i, s, compression === 'sowt');
    }
  }
  return buf;
}
