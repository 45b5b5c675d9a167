import { SpeechEmotionError } from '../errors.js';

/** Decoded audio: one Float32Array per channel, samples in [−1, 1]. */
export interface DecodedAudio {
  /** Sample rate in Hz. */
  sampleRate: number;
  /** One array per channel, all the same length. */
  channels: Float32Array[];
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'μ-law',
  17: 'IMA ADPCM',
  85: 'MPEG Layer 3',
};

function bad(message: string): SpeechEmotionError {
  return new SpeechEmotionError('INVALID_AUDIO', `decodeWav: ${message}`);
}

function fourcc(view: DataView, at: number): string {
  return String.fromCharCode(
    view.getUint8(at),
    view.getUint8(at + 1),
    view.getUint8(at + 2),
    view.getUint8(at + 3),
  );
}

interface Format {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bits: number;
}

function readFormat(view: DataView, at: number, size: number): Format {
  if (size < 16) throw bad(`the 'fmt ' chunk is ${size} bytes; it needs at least 16. The file is corrupt.`);
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    if (size < 40)
      throw bad(
        `WAVE_FORMAT_EXTENSIBLE needs a 40-byte 'fmt ' chunk, this one has ${size}. The file is corrupt.`,
      );
    tag = view.getUint16(at + 24, true); // first two bytes of the sub-format GUID
  }
  if (channels < 1) throw bad('the format declares 0 channels. The file is corrupt.');
  if (sampleRate < 1) throw bad('the format declares a sample rate of 0 Hz. The file is corrupt.');
  return { tag, channels, sampleRate, blockAlign, bits };
}

/**
 * Decodes a RIFF/WAVE file into floating-point channels.
 *
 * Reads PCM 8-bit (unsigned), 16, 24 and 32-bit integer, IEEE float 32 and 64, and
 * `WAVE_FORMAT_EXTENSIBLE` wrappers of these. Chunks may come in any order; unknown chunks
 * (`LIST`, `fact`, RAVDESS's `FLLR`…) are skipped, honouring the pad byte of odd-sized chunks.
 *
 * Integers are scaled as librosa/soundfile do, so features match librosa's on the same file:
 * 16-bit `int16 / 32768`, 24-bit `int24 / 2^23`, 32-bit `int32 / 2^31`, 8-bit `(u8 − 128) / 128`.
 *
 * @param bytes - The whole file.
 * @returns `{ sampleRate, channels }`, one Float32Array per channel.
 * @throws {@link SpeechEmotionError} `INVALID_AUDIO` for an empty, truncated or corrupt file or one
 * that is not WAV at all; `UNSUPPORTED_AUDIO` for WAV encodings such as μ-law or ADPCM.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * const { sampleRate, channels } = decodeWav(await readFile('speech.wav'));
 * ```
 */
export function decodeWav(bytes: ArrayBuffer | Uint8Array): DecodedAudio {
  let u8: Uint8Array;
  if (bytes instanceof Uint8Array) u8 = bytes;
  else if (bytes instanceof ArrayBuffer) u8 = new Uint8Array(bytes);
  else
    throw bad(
      `expected an ArrayBuffer or Uint8Array of file bytes, got ${bytes === null ? 'null' : typeof bytes}.`,
    );
  if (u8.length === 0) throw bad('the file is empty (0 bytes).');
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.length < 12 || fourcc(view, 0) !== 'RIFF' || fourcc(view, 8) !== 'WAVE') {
    const head = u8.length >= 4 ? fourcc(view, 0) : '';
    if (head === 'RIFX' || head === 'RF64') {
      throw new SpeechEmotionError(
        'UNSUPPORTED_AUDIO',
        `decodeWav: ${head} WAV files are not supported; convert to a standard RIFF WAV.`,
      );
    }
    throw bad(
      'this is not a WAV file: it does not start with a RIFF/WAVE header. Convert it to WAV (PCM or float) first.',
    );
  }

  let format: Format | undefined;
  let dataAt = -1;
  let dataSize = 0;
  let at = 12;
  while (at + 8 <= u8.length) {
    const id = fourcc(view, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > u8.length) throw bad(`the file is truncated inside its 'fmt ' chunk.`);
      format = readFormat(view, body, size);
    } else if (id === 'data') {
      dataAt = body;
      dataSize = size;
      if (body + size > u8.length) {
        throw bad(
          `the file is truncated: its data chunk declares ${size} bytes but only ${u8.length - body} are present.`,
        );
      }
    }
    at = body + size + (size & 1);
  }
  if (!format)
    throw bad(`the file has no 'fmt ' chunk, so its encoding is unknown. The file is corrupt or truncated.`);
  if (dataAt < 0) throw bad(`the file has no 'data' chunk: it holds no audio, or it is truncated.`);

  const { tag, channels: nCh, sampleRate, bits } = format;
  const isPcm = tag === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32);
  const isFloat = tag === FORMAT_FLOAT && (bits === 32 || bits === 64);
  if (!isPcm && !isFloat) {
    const name = FORMAT_NAMES[tag] ?? `format tag ${tag}`;
    throw new SpeechEmotionError(
      'UNSUPPORTED_AUDIO',
      `decodeWav: ${name} with ${bits}-bit samples is not supported. Supported: PCM 8/16/24/32-bit and float 32/64-bit; convert the file (e.g. \`sox in.wav -e signed -b 16 out.wav\`).`,
    );
  }
  const bytesPerSample = bits / 8;
  const frameBytes = bytesPerSample * nCh;
  if (format.blockAlign !== frameBytes) {
    throw bad(
      `the block alignment (${format.blockAlign}) does not match ${nCh} channel(s) of ${bits}-bit samples (${frameBytes}). The file is corrupt.`,
    );
  }
  const frames = Math.floor(dataSize / frameBytes);
  const channels: Float32Array[] = [];
  for (let c = 0; c < nCh; c++) channels.push(new Float32Array(frames));
  for (let c = 0; c < nCh; c++) {
    const ch = channels[c];
    let p = dataAt + c * bytesPerSample;
    if (isFloat && bits === 32) {
      for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = view.getFloat32(p, true);
    } else if (isFloat) {
      for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = view.getFloat64(p, true);
    } else if (bits === 16) {
      for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = view.getInt16(p, true) / 32768;
    } else if (bits === 8) {
      for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = (u8[p] - 128) / 128;
    } else if (bits === 24) {
      for (let i = 0; i < frames; i++, p += frameBytes) {
        const v = u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16);
        ch[i] = ((v << 8) >> 8) / 8388608;
      }
    } else {
      for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = view.getInt32(p, true) / 2147483648;
    }
    if (isFloat) {
      for (let i = 0; i < frames; i++) {
        if (!Number.isFinite(ch[i])) {
          throw bad(
            `sample ${i} of channel ${c} is ${ch[i]}; a float WAV must hold finite samples. The file is corrupt.`,
          );
        }
      }
    }
  }
  return { sampleRate, channels };
}
