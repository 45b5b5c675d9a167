import { open } from 'node:fs/promises';
import { isAiff, readAiffLayout } from '../audio/aiff.js';
import { toMono } from '../audio/mono.js';
import { type AudioLayout, readWavLayout } from '../audio/wav.js';
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
  /** What was read despite damage (a file cut short, …); absent for a whole file. */
  warnings?: string[];
}

/** Bytes read to find the header; a header longer than this (huge metadata) is decoded whole. */
const HEAD = 1 << 16;

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
  // The decoders' own header readers, told the file's real length: the same rules for streaming
  // and unfinalised sizes and for files cut short as when a file is decoded whole.
  const isRiff =
    head.length >= 12 &&
    String.fromCharCode(...head.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...head.subarray(8, 12)) === 'WAVE';
  let layout: AudioLayout | null = null;
  try {
    if (isAiff(head)) layout = readAiffLayout(head, size);
    else if (isRiff) layout = readWavLayout(head, size);
  } catch (e) {
    // The header is not all in the first block, or the file is damaged: decode it whole below,
    // which reports damage with the file's name.
    if (!(e instanceof SpeechEmotionError)) throw e;
  }
  if (!layout) {
    await file.close();
    const { sampleRate, channels, warnings } = await readAudioFile(path);
    const mono = toMono(channels);
    const step = Math.max(1, Math.round(chunkSeconds * sampleRate));
    return {
      sampleRate,
      duration: mono.length / sampleRate,
      chunks: (async function* () {
        for (let i = 0; i < mono.length; i += step) yield mono.slice(i, i + step);
      })(),
      ...(warnings ? { warnings } : {}),
    };
  }
  const { sampleRate, frameBytes, dataAt, dataSize, warnings } = layout;
  const decode = layout.decode;
  const block = Math.max(1, Math.round(chunkSeconds * sampleRate)) * frameBytes;
  const end = dataAt + dataSize;
  return {
    sampleRate,
    duration: Math.floor(dataSize / frameBytes) / sampleRate,
    chunks: (async function* () {
      const buf = new Uint8Array(block);
      try {
        for (let at = dataAt; at < end; at += block) {
          const { bytesRead } = await file.read(buf, 0, Math.min(block, end - at), at);
          const frames = Math.floor(bytesRead / frameBytes);
          if (frames === 0) break;
          const channels = decode(buf, 0, frames);
          yield channels.length === 1 ? channels[0] : toMono(channels);
        }
      } finally {
        await file.close();
      }
    })(),
    ...(warnings.length ? { warnings } : {}),
  };
}
