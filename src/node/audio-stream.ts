import { open } from 'node:fs/promises';
import { decodeAiff, isAiff } from '../audio/aiff.js';
import { toMono } from '../audio/mono.js';
import { decodeWav } from '../audio/wav.js';
import { SpeechEmotionError } from '../errors.js';
import { readAudioFile } from './audio-file.js';

/** An audio file read piece by piece: its rate and an async iterable of mono chunks. */
export interface MonoStream {
  /** Sample rate in Hz. */
  sampleRate: number;
  /** Duration in seconds when the header says (WAV, AIFF), else `null`. */
  duration: number | null;
  /** Mono chunks in order; each a new Float32Array. */
  chunks: AsyncIterable<Float32Array>;
}

const HEAD = 1 << 16;

/** Where the samples of a WAV or AIFF file start, and a header that decodes a block of them. */
function locate(head: Uint8Array, fileSize: number) {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const aiff = isAiff(head);
  const le = !aiff;
  const dataId = aiff ? 'SSND' : 'data';
  let frameBytes = 0;
  for (let at = 12; at + 8 <= head.length; ) {
    const id = String.fromCharCode(...head.subarray(at, at + 4));
    const size = view.getUint32(at + 4, le);
    // Bytes per frame: WAV's block alignment; AIFF's channels × bytes per sample (1 for G.711).
    if (id === 'fmt ' && at + 22 <= head.length) frameBytes = view.getUint16(at + 20, true);
    if (id === 'COMM' && at + 16 <= head.length) {
      const channels = view.getInt16(at + 8, false);
      const bits = view.getInt16(at + 14, false);
      const type =
        at + 30 <= head.length && size >= 22 ? String.fromCharCode(...head.subarray(at + 26, at + 30)) : '';
      frameBytes = channels * (/^(ulaw|ULAW|alaw|ALAW)$/.test(type) ? 1 : Math.ceil(bits / 8));
    }
    if (id === dataId) {
      if (!(frameBytes > 0)) return null;
      const body = at + 8 + (aiff ? 8 + view.getUint32(at + 8, false) : 0);
      // The header with the data size set to "unknown", so each block decodes to its end.
      const header = head.slice(0, aiff ? at + 16 : at + 8);
      new DataView(header.buffer).setUint32(at + 4, 0xffffffff, le);
      if (aiff) new DataView(header.buffer).setUint32(at + 8, 0, false);
      const declared = aiff ? size - 8 : size;
      const end = declared === 0xffffffff || declared === 0 ? fileSize : Math.min(fileSize, body + declared);
      return { aiff, header, body, end, frameBytes };
    }
    at += 8 + size + (size & 1);
  }
  return null;
}

/**
 * Opens an audio file for reading in chunks of about `chunkSeconds`, mixed to mono, so that a
 * recording of any length is processed in constant memory. WAV and AIFF (any encoding
 * {@link decodeWav} and {@link decodeAiff} read) are read from disk block by block; other formats
 * are decoded whole and then handed out in chunks.
 *
 * @example
 * ```ts
 * const { sampleRate, chunks } = await streamMono('interview.wav');
 * for await (const seg of model.predictStream(chunks, { sampleRate })) console.log(seg.start, seg.label);
 * ```
 */
export async function streamMono(path: string, options: { chunkSeconds?: number } = {}): Promise<MonoStream> {
  const chunkSeconds = options.chunkSeconds ?? 10;
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new SpeechEmotionError('INVALID_AUDIO', `cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const { size } = await file.stat();
  const head = new Uint8Array(Math.min(HEAD, size));
  await file.read(head, 0, head.length, 0);
  const isRiff = head.length >= 12 && String.fromCharCode(...head.subarray(0, 4)) === 'RIFF';
  const where = isRiff || isAiff(head) ? locate(head, size) : null;
  if (!where) {
    await file.close();
    const { sampleRate, channels } = await readAudioFile(path);
    const mono = toMono(channels);
    const step = Math.max(1, Math.round(chunkSeconds * sampleRate));
    return {
      sampleRate,
      duration: mono.length / sampleRate,
      chunks: (async function* () {
        for (let i = 0; i < mono.length; i += step) yield mono.slice(i, i + step);
      })(),
    };
  }
  // Decode the header with the first frame to check the format and learn the rate.
  const decode = where.aiff ? decodeAiff : decodeWav;
  const { frameBytes } = where;
  const probe = new Uint8Array(where.header.length + frameBytes);
  probe.set(where.header);
  await file.read(probe, where.header.length, frameBytes, where.body);
  let first: ReturnType<typeof decodeWav>;
  try {
    first = decode(probe);
  } catch (e) {
    await file.close();
    if (e instanceof SpeechEmotionError)
      throw new SpeechEmotionError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
  const { sampleRate } = first;
  const nCh = first.channels.length;
  const block = Math.max(1, Math.round(chunkSeconds * sampleRate)) * frameBytes;
  const dataBytes = where.end - where.body;
  return {
    sampleRate,
    duration: Math.floor(dataBytes / frameBytes) / sampleRate,
    chunks: (async function* () {
      const buf = new Uint8Array(where.header.length + block);
      buf.set(where.header);
      try {
        for (let at = where.body; at < where.end; at += block) {
          const want = Math.min(block, where.end - at);
          const { bytesRead } = await file.read(buf, where.header.length, want, at);
          const whole = bytesRead - (bytesRead % frameBytes);
          if (whole === 0) break;
          const { channels } = decode(buf.subarray(0, where.header.length + whole));
          yield nCh === 1 ? channels[0] : toMono(channels);
        }
      } finally {
        await file.close();
      }
    })(),
  };
}
