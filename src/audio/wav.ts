import { SpeechEmotionError } from '../errors.js';
import { imaBlockDecoder, msBlockDecoder } from './adpcm.js';
import { GSM_BLOCK_BYTES, GSM_SAMPLES_PER_BLOCK, gsmBlockDecoder } from './gsm.js';

/** Decoded audio: one Float32Array per channel, samples in [−1, 1]. */
export interface DecodedAudio {
  /** Sample rate in Hz. */
  sampleRate: number;
  /** One array per channel, all the same length. */
  channels: Float32Array[];
  /**
   * What was read despite a damaged file, in words: a data chunk cut short (decoded up to its last
   * whole frame), and the like. Absent when the file was whole.
   */
  warnings?: string[];
}

const FORMAT_PCM = 1;
const FORMAT_MS_ADPCM = 2;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_IMA_ADPCM = 0x11;
const FORMAT_GSM = 0x31;
const FORMAT_MP3 = 0x55;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  80: 'MPEG Layer 1/2',
  85: 'MPEG Layer 3 (MP3 in a WAV wrapper)',
  353: 'Windows Media Audio',
  5648: 'AAC',
};
/**
 * Sizes that streaming writers leave in place of the real one: read to the end of the file (and
 * what RF64 and BW64 put there, the real size being in their 'ds64' chunk).
 */
const SIZE_UNKNOWN = 0xffffffff;

function bad(message: string): SpeechEmotionError {
  return new SpeechEmotionError('INVALID_AUDIO', `decodeWav: ${message}`);
}

/**
 * Whether `bytes` start as a WAV file: a RIFF container of WAVE, or the RF64 and BW64 containers
 * (EBU Tech 3306 and ITU-R BS.2088) that recorders and ffmpeg write past 4 GB. @internal
 */
export function isWave(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const s = (i: number) => String.fromCharCode(bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]);
  return (s(0) === 'RIFF' || s(0) === 'RF64' || s(0) === 'BW64') && s(8) === 'WAVE';
}

/** The four-character code at `at` (RIFF and AIFF chunk ids). @internal */
export function fourcc(view: DataView, at: number): string {
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
  /** Microsoft ADPCM's coefficient pairs, when the 'fmt ' chunk lists them. */
  coefficients?: Int16Array;
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
  // Microsoft ADPCM: cbSize, samples per block, the number of coefficient pairs, the pairs.
  const pairs = tag === FORMAT_MS_ADPCM && size >= 22 ? view.getUint16(at + 20, true) : 0;
  if (pairs > 0 && size >= 22 + 4 * pairs) {
    const coefficients = new Int16Array(2 * pairs);
    for (let i = 0; i < 2 * pairs; i++) coefficients[i] = view.getInt16(at + 22 + 2 * i, true);
    return { tag, channels, sampleRate, blockAlign, bits, coefficients };
  }
  return { tag, channels, sampleRate, blockAlign, bits };
}

/**
 * Decodes a WAV file into floating-point channels: RIFF/WAVE, and RF64 or BW64 (the 64-bit sizes
 * of recordings past 4 GB).
 *
 * Reads PCM 8-bit (unsigned), 16, 24 and 32-bit integer, IEEE float 32 and 64, G.711 μ-law and
 * A-law (telephone audio), 4-bit IMA and Microsoft ADPCM (voice recorders, telephony systems), GSM
 * 6.10 full rate (voicemail, "WAV49"), and `WAVE_FORMAT_EXTENSIBLE` wrappers of these. Chunks may
 * come in any order; unknown chunks (`LIST`, `fact`, RAVDESS's `FLLR`…) are skipped, honouring
 * the pad byte of odd-sized chunks.
 *
 * Damaged files are read as far as they go, as sox and libsndfile do: a data size of 0xFFFFFFFF
 * (live recorders, pipes) or 0 (a header never finalised) means the samples run to the end of
 * the file; a data chunk cut short is decoded up to its last whole frame, with a `warnings` entry.
 *
 * Integers are scaled as librosa/soundfile do, so features match librosa's on the same file:
 * 16-bit `int16 / 32768`, 24-bit `int24 / 2^23`, 32-bit `int32 / 2^31`, 8-bit `(u8 − 128) / 128`.
 *
 * @param bytes - The whole file.
 * @returns `{ sampleRate, channels }`, one Float32Array per channel.
 * @throws {@link SpeechEmotionError} `INVALID_AUDIO` for an empty, truncated or corrupt file or one
 * that is not WAV at all; `UNSUPPORTED_AUDIO` for WAV encodings it does not decode (MP3 in a
 * WAV wrapper, …), named in the message.
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
  if (!isWave(u8)) {
    const head = u8.length >= 4 ? fourcc(view, 0) : '';
    if (head === 'RIFX') {
      throw new SpeechEmotionError(
        'UNSUPPORTED_AUDIO',
        `decodeWav: ${head} WAV files are not supported; convert to a standard RIFF WAV.`,
      );
    }
    throw bad(
      'this is not a WAV file: it does not start with a RIFF/WAVE header. Convert it to WAV (PCM or float) first.',
    );
  }

  const layout = readWavLayout(u8);
  const frames = Math.floor(layout.dataSize / layout.frameBytes);
  if (layout.warnings.length && frames === 0)
    throw bad('the file is truncated: its data chunk holds not one whole frame.');
  const channels = layout.decoder()(u8, layout.dataAt, frames);
  const { sampleRate, warnings } = layout;
  return warnings.length ? { sampleRate, channels, warnings } : { sampleRate, channels };
}

/**
 * Where a file's samples are and how to decode them: what decodeWav and decodeAiff read from a
 * header, and what `streamMono` uses to decode a file block by block.
 * @internal
 */
export interface AudioLayout {
  sampleRate: number;
  channels: number;
  /** Bytes per frame (all channels): one sample of each, or a whole ADPCM or GSM block. */
  frameBytes: number;
  /** Samples per channel that a frame decodes to: 1, or an ADPCM or GSM block's. */
  samplesPerFrame: number;
  /** Byte offset of the first sample, and the bytes of samples (to the end of the file when unknown). */
  dataAt: number;
  dataSize: number;
  /** What was read despite damage. */
  warnings: string[];
  /**
   * A decoder for one pass over the data, fed its frames in order (GSM's frames depend on the ones
   * before; the other encodings' do not).
   */
  decoder(): FrameDecoder;
}

/** Decodes `frames` whole frames starting at byte `at` of `u8`, one array per channel. @internal */
export type FrameDecoder = (u8: Uint8Array, at: number, frames: number) => Float32Array[];

/** Bytes of the whole frames that hold about `seconds` of a layout's audio (one frame at least). @internal */
export function bytesFor(layout: AudioLayout, seconds: number): number {
  return Math.max(1, Math.round((seconds * layout.sampleRate) / layout.samplesPerFrame)) * layout.frameBytes;
}

/** Seconds of audio in the whole frames of `bytes` bytes of a layout's data. @internal */
export function secondsIn(layout: AudioLayout, bytes: number): number {
  return (Math.floor(bytes / layout.frameBytes) * layout.samplesPerFrame) / layout.sampleRate;
}

/** The walk over a RIFF file's chunks: its format, and where its samples are. */
function walkChunks(u8: Uint8Array, fileLength: number) {
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  let format: Format | undefined;
  let dataAt = -1;
  let dataSize = 0;
  // RF64 and BW64: the data chunk's real size, 64-bit, from the 'ds64' chunk that leads the file.
  let dataSize64: number | undefined;
  const warnings: string[] = [];
  let at = 12;
  while (at + 8 <= u8.length) {
    const id = fourcc(view, at);
    let size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'ds64' && size >= 16 && body + 16 <= u8.length) {
      dataSize64 = view.getUint32(body + 8, true) + view.getUint32(body + 12, true) * 2 ** 32;
    } else if (id === 'data' && size === SIZE_UNKNOWN && dataSize64 !== undefined) {
      size = dataSize64;
    }
    if (id === 'fmt ') {
      if (body + size > u8.length) throw bad(`the file is truncated inside its 'fmt ' chunk.`);
      format = readFormat(view, body, size);
    } else if (id === 'data') {
      dataAt = body;
      const present = fileLength - body;
      if (size === SIZE_UNKNOWN || (size === 0 && present > 0 && !looksLikeChunk(view, body, fileLength))) {
        // A live recorder or a pipe (0xFFFFFFFF), or a header never finalised (0): the samples
        // run to the end of the file, as sox, libsndfile and ffmpeg read them.
        dataSize = present;
        break;
      }
      if (size > present) {
        warnings.push(
          `the data chunk declares ${size} bytes but only ${present} are present (the file was cut short); decoded the whole frames that are there.`,
        );
        dataSize = present;
        break;
      }
      dataSize = size;
    }
    at = body + size + (size % 2);
  }
  if (!format)
    throw bad(`the file has no 'fmt ' chunk, so its encoding is unknown. The file is corrupt or truncated.`);
  if (dataAt < 0) throw bad(`the file has no 'data' chunk: it holds no audio, or it is truncated.`);
  return { format, dataAt, dataSize, warnings };
}

/**
 * A decoder of whole frames for a checked format. One function per call with the branch on the
 * sample type outside each loop: the loops are the hot path of every file read.
 */
function frameDecoder(format: Format): FrameDecoder {
  const { tag, channels: nCh, bits } = format;
  const isFloat = tag === FORMAT_FLOAT;
  const isG711 = tag === FORMAT_ALAW || tag === FORMAT_MULAW;
  const bytesPerSample = bits / 8;
  const frameBytes = bytesPerSample * nCh;
  return (bytes, start, frames) => {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const channels: Float32Array[] = [];
    for (let c = 0; c < nCh; c++) {
      const ch = new Float32Array(frames);
      let p = start + c * bytesPerSample;
      if (isG711) decodeG711(bytes, p, frameBytes, frames, tag === FORMAT_ALAW, ch);
      else if (isFloat && bits === 32) {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getFloat32(p, true);
      } else if (isFloat) {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getFloat64(p, true);
      } else if (bits === 16) {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getInt16(p, true) / 32768;
      } else if (bits === 8) {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = (bytes[p] - 128) / 128;
      } else if (bits === 24) {
        for (let i = 0; i < frames; i++, p += frameBytes) {
          const x = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16);
          ch[i] = ((x << 8) >> 8) / 8388608;
        }
      } else {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getInt32(p, true) / 2147483648;
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
      channels.push(ch);
    }
    return channels;
  };
}

/**
 * The MP3 stream inside a WAV file of format tag 0x55 (MP3 in a WAV wrapper, as some call
 * recorders save it), for an MP3 decoder; `null` for any other file or a header it cannot read.
 * @internal
 */
export function mp3InWav(u8: Uint8Array): Uint8Array | null {
  if (!isWave(u8)) return null;
  try {
    const { format, dataAt, dataSize } = walkChunks(u8, u8.length);
    return format.tag === FORMAT_MP3 ? u8.subarray(dataAt, dataAt + dataSize) : null;
  } catch {
    return null;
  }
}

/**
 * Reads a RIFF/WAVE header: the chunk walk, the format and where the data is. `fileLength` is the
 * whole file's length when `u8` holds only its beginning (a streaming reader). @internal
 */
export function readWavLayout(u8: Uint8Array, fileLength = u8.length): AudioLayout {
  const { format, dataAt, dataSize, warnings } = walkChunks(u8, fileLength);
  const { tag, channels: nCh, sampleRate, bits } = format;
  if ((tag === FORMAT_IMA_ADPCM || tag === FORMAT_MS_ADPCM) && bits === 4)
    return { ...adpcmLayout(format), sampleRate, channels: nCh, dataAt, dataSize, warnings };
  if (tag === FORMAT_GSM) {
    if (nCh !== 1 || format.blockAlign !== GSM_BLOCK_BYTES)
      throw bad(
        `GSM 6.10 comes in blocks of ${GSM_BLOCK_BYTES} bytes of one channel; this file declares ${format.blockAlign} bytes and ${nCh} channels. The file is corrupt.`,
      );
    const frames = { frameBytes: GSM_BLOCK_BYTES, samplesPerFrame: GSM_SAMPLES_PER_BLOCK };
    return { ...frames, sampleRate, channels: 1, dataAt, dataSize, warnings, decoder: gsmBlockDecoder };
  }
  const isPcm = tag === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32);
  const isFloat = tag === FORMAT_FLOAT && (bits === 32 || bits === 64);
  const isG711 = (tag === FORMAT_ALAW || tag === FORMAT_MULAW) && bits === 8;
  if (!isPcm && !isFloat && !isG711) {
    const name = FORMAT_NAMES[tag] ?? `format tag ${tag}`;
    throw new SpeechEmotionError(
      'UNSUPPORTED_AUDIO',
      `decodeWav: ${name} with ${bits}-bit samples is not supported. Supported: PCM 8/16/24/32-bit, float 32/64-bit, G.711 μ-law/A-law, 4-bit IMA or Microsoft ADPCM and GSM 6.10; convert the file (e.g. \`sox in.wav -e signed -b 16 out.wav\`).`,
    );
  }
  const frameBytes = (bits / 8) * nCh;
  if (format.blockAlign !== frameBytes) {
    throw bad(
      `the block alignment (${format.blockAlign}) does not match ${nCh} channel(s) of ${bits}-bit samples (${frameBytes}). The file is corrupt.`,
    );
  }
  const decode = frameDecoder(format);
  return {
    sampleRate,
    channels: nCh,
    frameBytes,
    samplesPerFrame: 1,
    dataAt,
    dataSize,
    warnings,
    decoder: () => decode,
  };
}

/** An ADPCM format's block size, samples per block and block decoder, its block size checked. */
function adpcmLayout(format: Format): Pick<AudioLayout, 'frameBytes' | 'samplesPerFrame' | 'decoder'> {
  const { tag, channels, blockAlign } = format;
  const ima = tag === FORMAT_IMA_ADPCM;
  // IMA: a 4-byte header per channel, then 4-byte groups per channel; Microsoft: 7 bytes per
  // channel of header, then whole bytes of codes (the samples per block from the bytes left).
  const head = (ima ? 4 : 7) * channels;
  const fits = ima ? (blockAlign - head) % (4 * channels) === 0 : ((blockAlign - head) * 2) % channels === 0;
  if (!(blockAlign > head && fits))
    throw bad(
      `a block of ${blockAlign} bytes cannot hold ${FORMAT_NAMES[tag]} for ${channels} channel(s). The file is corrupt.`,
    );
  // Two samples a byte after the header, which holds one sample (IMA) or two (Microsoft) per channel.
  const samplesPerBlock = ((blockAlign - head) * 2) / channels + (ima ? 1 : 2);
  const adpcm = { channels, blockAlign, samplesPerBlock, coefficients: format.coefficients };
  const decode = ima ? imaBlockDecoder(adpcm) : msBlockDecoder(adpcm);
  return {
    frameBytes: blockAlign,
    samplesPerFrame: samplesPerBlock,
    decoder: () => decode,
  };
}

/**
 * Whether 8 bytes at `at` read as a chunk header (four printable ASCII characters and a size that
 * fits the file): an empty data chunk followed by another chunk, rather than samples.
 */
function looksLikeChunk(view: DataView, at: number, length: number): boolean {
  if (at + 8 > length) return false;
  for (let i = 0; i < 4; i++) {
    const c = view.getUint8(at + i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return at + 8 + view.getUint32(at + 4, true) <= length;
}

/** ITU-T G.711 μ-law and A-law, decoded to 16-bit linear as libsndfile does, then scaled by 1/32768. */
function g711Table(alaw: boolean): Float32Array {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    let v: number;
    if (alaw) {
      const a = i ^ 0x55;
      const seg = (a >> 4) & 7;
      let m = (a & 15) << 4;
      m = seg === 0 ? m + 8 : (m + 0x108) << (seg - 1);
      v = a & 0x80 ? m : -m;
    } else {
      const u = ~i & 0xff;
      const seg = (u >> 4) & 7;
      const m = (((u & 15) << 3) + 0x84) << seg;
      v = u & 0x80 ? 0x84 - m : m - 0x84;
    }
    t[i] = v / 32768;
  }
  return t;
}
const MULAW = g711Table(false);
const ALAW = g711Table(true);

/** Decodes `frames` G.711 bytes at `u8[at]`, `stride` apart, into `out`. @internal */
export function decodeG711(
  u8: Uint8Array,
  at: number,
  stride: number,
  frames: number,
  alaw: boolean,
  out: Float32Array,
): void {
  const table = alaw ? ALAW : MULAW;
  for (let i = 0, p = at; i < frames; i++, p += stride) out[i] = table[u8[p]];
}
