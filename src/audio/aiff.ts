import { SpeechEmotionError } from '../errors.js';
import { IMA4_PACKET_BYTES, IMA4_PACKET_SAMPLES, ima4BlockDecoder } from './adpcm.js';
import { type AudioLayout, type DecodedAudio, type FrameDecoder, decodeG711, fourcc } from './wav.js';

function bad(message: string): SpeechEmotionError {
  return new SpeechEmotionError('INVALID_AUDIO', `decodeAiff: ${message}`);
}

/** An 80-bit IEEE 754 extended float (big-endian), as AIFF stores its sample rate. */
function extended(view: DataView, at: number): number {
  const se = view.getUint16(at);
  const hi = view.getUint32(at + 2);
  const lo = view.getUint32(at + 6);
  const exponent = se & 0x7fff;
  if (exponent === 0 && hi === 0 && lo === 0) return 0;
  if (exponent === 0x7fff) return Number.NaN;
  const mantissa = hi * 2 ** 32 + lo;
  return (se & 0x8000 ? -1 : 1) * mantissa * 2 ** (exponent - 16383 - 63);
}

/** AIFF-C compression types this decoder reads, by their four-character code. */
const COMPRESSIONS: Record<string, 'be' | 'le' | 'float' | 'ulaw' | 'alaw' | 'ima4'> = {
  NONE: 'be',
  twos: 'be',
  sowt: 'le',
  fl32: 'float',
  FL32: 'float',
  fl64: 'float',
  FL64: 'float',
  ulaw: 'ulaw',
  ULAW: 'ulaw',
  alaw: 'alaw',
  ALAW: 'alaw',
  ima4: 'ima4',
};

/** True when the bytes start as an AIFF or AIFF-C file (`FORM…AIFF` / `FORM…AIFC`), whatever its name. */
export function isAiff(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return false;
  const s = (i: number) => String.fromCharCode(bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]);
  return s(0) === 'FORM' && (s(8) === 'AIFF' || s(8) === 'AIFC');
}

/**
 * Decodes an AIFF or AIFF-C file into floating-point channels: big-endian PCM 8/16/24/32-bit,
 * little-endian PCM (`sowt`), float 32/64 (`fl32`, `fl64`), G.711 (`ulaw`, `alaw`) and Apple's
 * IMA4 ADPCM (`ima4`, as older Mac and iOS recorders save it). Integers are
 * scaled as soundfile does (16-bit `int16 / 32768`, …). A sound-data chunk cut short is decoded up
 * to its last whole frame, with a `warnings` entry.
 *
 * @param bytes - The whole file.
 * @returns `{ sampleRate, channels }`, one Float32Array per channel.
 * @throws {@link SpeechEmotionError} `INVALID_AUDIO` for a file that is not AIFF or is corrupt;
 * `UNSUPPORTED_AUDIO` for a compression type it does not decode, named in the message.
 *
 * @example
 * ```ts
 * const { sampleRate, channels } = decodeAiff(await readFile('take.aif'));
 * ```
 */
export function decodeAiff(bytes: ArrayBuffer | Uint8Array): DecodedAudio {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (!isAiff(u8)) throw bad('this is not an AIFF file: it does not start with a FORM/AIFF header.');
  const layout = readAiffLayout(u8);
  const frames = Math.floor(layout.dataSize / layout.frameBytes);
  if (layout.warnings.length && frames === 0)
    throw bad('the file is truncated: its sound data holds not one whole frame.');
  const channels = layout.decoder()(u8, layout.dataAt, frames);
  const { sampleRate, warnings } = layout;
  return warnings.length ? { sampleRate, channels, warnings } : { sampleRate, channels };
}

type Comm = { channels: number; bits: number; sampleRate: number; kind: (typeof COMPRESSIONS)[string] };

/** The COMM chunk: channels, sample size, rate, and (AIFF-C) the compression. */
function readComm(view: DataView, body: number, size: number, aifc: boolean): Comm {
  if (size < 18 || body + size > view.byteLength) throw bad(`the 'COMM' chunk is truncated or too short.`);
  const channels = view.getInt16(body);
  const bits = view.getInt16(body + 6);
  const sampleRate = extended(view, body + 8);
  let kind: Comm['kind'] = 'be';
  if (aifc) {
    if (size < 22) throw bad(`the AIFF-C 'COMM' chunk has no compression type.`);
    const type = fourcc(view, body + 18);
    const known = COMPRESSIONS[type];
    if (!known)
      throw new SpeechEmotionError(
        'UNSUPPORTED_AUDIO',
        `decodeAiff: AIFF-C compression '${type}' is not supported. Supported: NONE, sowt, fl32, fl64, ulaw, alaw, ima4; convert the file (e.g. \`sox in.aif -e signed -b 16 out.wav\`).`,
      );
    kind = known;
  }
  if (channels < 1) throw bad('the format declares no channels. The file is corrupt.');
  if (!(sampleRate >= 1 && sampleRate < 1e7))
    throw bad(`the sample rate (${sampleRate}) is not valid. The file is corrupt.`);
  return { channels, bits, sampleRate, kind };
}

/** The walk over an AIFF file's chunks: its COMM, and where its sound data is. */
function walkAiffChunks(u8: Uint8Array, fileLength: number) {
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const aifc = fourcc(view, 8) === 'AIFC';
  let comm: Comm | undefined;
  let ssndAt = -1;
  let ssndSize = 0;
  const warnings: string[] = [];
  let at = 12;
  while (at + 8 <= u8.length) {
    const id = fourcc(view, at);
    const size = view.getUint32(at + 4);
    const body = at + 8;
    if (id === 'COMM') comm = readComm(view, body, size, aifc);
    else if (id === 'SSND') {
      if (body + 8 > u8.length) throw bad(`the file is truncated inside its 'SSND' chunk.`);
      const offset = view.getUint32(body);
      ssndAt = body + 8 + offset;
      const present = Math.max(0, fileLength - ssndAt);
      if (size === 0 || size === 0xffffffff) {
        // A header never finalised, as a writer into a pipe leaves it (ffmpeg: sizes 0), or a
        // streaming size: the sound data runs to the end of the file, as for WAV.
        ssndSize = present;
        break;
      }
      const declared = size - 8 - offset;
      if (declared > present) {
        warnings.push(
          `the sound data declares ${declared} bytes but only ${present} are present (the file was cut short); decoded the whole frames that are there.`,
        );
        ssndSize = present;
        break;
      }
      ssndSize = Math.max(0, declared);
    }
    at = body + size + (size & 1);
  }
  if (!comm)
    throw bad(`the file has no 'COMM' chunk, so its encoding is unknown. The file is corrupt or truncated.`);
  if (ssndAt < 0) throw bad(`the file has no 'SSND' chunk: it holds no audio, or it is truncated.`);
  return { comm, ssndAt, ssndSize, warnings };
}

/**
 * A decoder of whole frames for a checked format. The branch on the sample type sits outside each
 * loop: the loops are the hot path of every file read.
 */
function aiffDecoder(nCh: number, bits: number, kind: Comm['kind']): FrameDecoder {
  const bps = bits / 8;
  const frameBytes = bps * nCh;
  const le = kind === 'le';
  return (bytes, start, frames) => {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const channels: Float32Array[] = [];
    for (let c = 0; c < nCh; c++) {
      const ch = new Float32Array(frames);
      let p = start + c * bps;
      if (kind === 'ulaw' || kind === 'alaw') decodeG711(bytes, p, frameBytes, frames, kind === 'alaw', ch);
      else if (kind === 'float') {
        for (let i = 0; i < frames; i++, p += frameBytes) {
          const x = bits === 32 ? v.getFloat32(p) : v.getFloat64(p);
          if (!Number.isFinite(x)) throw bad(`sample ${i} of channel ${c} is ${x}. The file is corrupt.`);
          ch[i] = x;
        }
      } else if (bits === 8) {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getInt8(p) / 128;
      } else if (bits === 16) {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getInt16(p, le) / 32768;
      } else if (bits === 24) {
        for (let i = 0; i < frames; i++, p += frameBytes) {
          const x = le
            ? bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)
            : (bytes[p] << 16) | (bytes[p + 1] << 8) | bytes[p + 2];
          ch[i] = ((x << 8) >> 8) / 8388608;
        }
      } else {
        for (let i = 0; i < frames; i++, p += frameBytes) ch[i] = v.getInt32(p, le) / 2147483648;
      }
      channels.push(ch);
    }
    return channels;
  };
}

/**
 * Reads an AIFF or AIFF-C header (see readWavLayout): the chunk walk, the format and where the
 * sound data is. `fileLength` is the whole file's length when `u8` holds only its beginning.
 * @internal
 */
export function readAiffLayout(u8: Uint8Array, fileLength = u8.length): AudioLayout {
  const { comm, ssndAt, ssndSize, warnings } = walkAiffChunks(u8, fileLength);
  const { channels: nCh, kind } = comm;
  const base = {
    // Rates such as 22254.5454… (early Macintosh) are rounded to whole hertz, as soundfile reports them.
    sampleRate: Math.round(comm.sampleRate),
    channels: nCh,
    dataAt: ssndAt,
    dataSize: ssndSize,
    warnings,
  };
  if (kind === 'ima4') {
    const decode = ima4BlockDecoder(nCh);
    return {
      ...base,
      frameBytes: IMA4_PACKET_BYTES * nCh,
      samplesPerFrame: IMA4_PACKET_SAMPLES,
      decoder: () => decode,
    };
  }
  const bits = kind === 'ulaw' || kind === 'alaw' ? 8 : comm.bits;
  const ok =
    kind === 'float'
      ? bits === 32 || bits === 64
      : kind === 'ulaw' || kind === 'alaw' || [8, 16, 24, 32].includes(bits);
  if (!ok) {
    throw new SpeechEmotionError(
      'UNSUPPORTED_AUDIO',
      `decodeAiff: ${bits}-bit ${kind === 'float' ? 'float' : 'integer'} samples are not supported. Supported: 8/16/24/32-bit integers, 32/64-bit floats.`,
    );
  }
  const decode = aiffDecoder(nCh, bits, kind);
  return { ...base, frameBytes: (bits / 8) * nCh, samplesPerFrame: 1, decoder: () => decode };
}
