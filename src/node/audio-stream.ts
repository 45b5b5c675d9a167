import { type FileHandle, open } from 'node:fs/promises';
import { isAiff, readAiffLayout } from '../audio/aiff.js';
import { channelOrMix, checkChannel, monoOf, selectChannel } from '../audio/mono.js';
import { type AudioLayout, bytesFor, isWave, readWavLayout, secondsIn } from '../audio/wav.js';
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
  /**
   * What was read despite damage (a file cut short, …), a mix whose channels cancel out (one with
   * its polarity reversed: read one channel instead), and clipping ({@link clippingShare}); absent
   * when there is nothing to say. WAV and AIFF read in pieces are judged on their first piece.
   */
  warnings?: string[];
}

/** Bytes read to find the header; a header longer than this (huge metadata) is decoded whole. */
const HEAD = 1 << 16;

/**
 * A WAV or AIFF recording's layout from its first bytes `head`, by the decoders' own header
 * readers told its whole `length` (`Number.MAX_SAFE_INTEGER` when unknown, as for a pipe): the same
 * rules for streaming and unfinalised sizes and for files cut short as when it is decoded whole.
 * `null` for other formats, a header beyond `head`, or damage (decoding it whole then reports it,
 * with its name). @internal
 */
export function headerLayout(head: Uint8Array, length: number): AudioLayout | null {
  const read = isAiff(head) ? readAiffLayout : isWave(head) ? readWavLayout : null;
  if (!read) return null;
  try {
    return read(head, length);
  } catch (e) {
    if (e instanceof SpeechEmotionError || e instanceof RangeError) return null;
    throw e;
  }
}

/** {@link headerLayout} of a file, from its first block. */
async function readLayout(file: FileHandle): Promise<AudioLayout | null> {
  const { size } = await file.stat();
  const head = new Uint8Array(Math.min(HEAD, size));
  await file.read(head, 0, head.length, 0);
  return headerLayout(head, size);
}

/**
 * What a stream read in pieces says about its recording, judged on the first piece (`channels`):
 * a mix that cancels and clipping ({@link channelOrMix}), each marked as judged on the first
 * `chunkSeconds`. @internal
 */
export function firstPieceWarnings(
  channels: Float32Array[],
  channel: number | undefined,
  chunkSeconds: number,
): string[] {
  return channelOrMix(channels, channel).warnings.map((w) => `${w} (judged on the first ${chunkSeconds} s)`);
}

/** Any other file: decoded whole, then handed out in chunks. */
async function wholeFile(path: string, chunkSeconds: number, channel?: number): Promise<MonoStream> {
  return chunked(monoOf(await readAudioFile(path), channel), chunkSeconds);
}

/** A signal decoded whole, handed out in chunks of about `chunkSeconds`, with its warnings. @internal */
export function chunked(
  mono: { signal: Float32Array; sampleRate: number; warnings?: string[] },
  chunkSeconds: number,
): MonoStream {
  const { signal, sampleRate, warnings } = mono;
  const step = Math.max(1, Math.round(chunkSeconds * sampleRate));
  return {
    sampleRate,
    duration: signal.length / sampleRate,
    chunks: (async function* () {
      for (let i = 0; i < signal.length; i += step) yield signal.slice(i, i + step);
    })(),
    ...(warnings?.length ? { warnings } : {}),
  };
}

/**
 * Opens an audio file for reading in chunks of about `chunkSeconds`, mixed to mono (or, with
 * `channel`, one channel of it: see {@link readMono}), so that a recording of any length is
 * processed in constant memory. WAV and AIFF (any encoding {@link decodeWav} and
 * {@link decodeAiff} read) are read from disk block by block; other formats are decoded whole and
 * then handed out in chunks.
 *
 * @example
 * ```ts
 * const { sampleRate, chunks } = await streamMono('interview.wav');
 * for await (const seg of model.predictStream(chunks, { sampleRate })) console.log(seg.start, seg.label);
 * ```
 */
export async function streamMono(
  path: string,
  options: { chunkSeconds?: number; channel?: number } = {},
): Promise<MonoStream> {
  const chunkSeconds = options.chunkSeconds ?? 10;
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    throw new SpeechEmotionError('INVALID_AUDIO', `cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  // The header and the first piece are read now, and the file closed: the chunks open it again
  // when they are read, so a stream whose chunks are never read leaves no file open.
  let layout: AudioLayout | null;
  let firstPiece: Float32Array[] | null = null;
  try {
    layout = await readLayout(file);
    // Checked now, not at the first chunk: a missing channel is the caller's error, not the file's.
    if (layout && options.channel !== undefined) checkChannel(options.channel, layout.channels);
    if (layout) {
      const buf = new Uint8Array(Math.min(bytesFor(layout, chunkSeconds), layout.dataSize));
      const { bytesRead } = await file.read(buf, 0, buf.length, layout.dataAt);
      const frames = Math.floor(bytesRead / layout.frameBytes);
      if (frames) firstPiece = layout.decoder()(buf, 0, frames);
    }
  } finally {
    await file.close();
  }
  if (!layout) return wholeFile(path, chunkSeconds, options.channel);
  const { sampleRate, frameBytes, dataAt, dataSize, warnings } = layout;
  // Whether the mix cancels and whether the recording clips, judged on the first piece (the whole
  // file is not read twice).
  if (firstPiece) warnings.push(...firstPieceWarnings(firstPiece, options.channel, chunkSeconds));
  const block = bytesFor(layout, chunkSeconds);
  const end = dataAt + dataSize;
  const decoder = layout.decoder;
  return {
    sampleRate,
    duration: secondsIn(layout, dataSize),
    chunks: (async function* () {
      const again = await open(path, 'r').catch((e: Error) => {
        throw new SpeechEmotionError('INVALID_AUDIO', `cannot read ${path}: ${e.message}`, { cause: e });
      });
      const buf = new Uint8Array(block);
      const decode = decoder(); // a second pass: the first piece was decoded for the warnings
      try {
        for (let at = dataAt; at < end; at += block) {
          const { bytesRead } = await again.read(buf, 0, Math.min(block, end - at), at);
          const frames = Math.floor(bytesRead / frameBytes);
          if (frames === 0) break;
          yield selectChannel(decode(buf, 0, frames), options.channel);
        }
      } finally {
        await again.close();
      }
    })(),
    ...(warnings.length ? { warnings } : {}),
  };
}
