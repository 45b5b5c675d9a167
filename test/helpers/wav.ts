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
