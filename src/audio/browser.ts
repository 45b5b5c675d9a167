import { SpeechEmotionError } from '../errors.js';
import { decodeAiff, isAiff } from './aiff.js';
import { type DecodedAudio, decodeWav, isWave, mp3InWav } from './wav.js';

/** The part of a Web Audio `AudioBuffer` this library reads. */
export interface AudioBufferLike {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Number of channels, ≥ 1. */
  readonly numberOfChannels: number;
  /** The samples of one channel. */
  getChannelData(channel: number): Float32Array;
}

/** The part of a Web Audio `BaseAudioContext` this library uses. */
export interface AudioContextLike {
  /** Decodes a complete audio file. */
  decodeAudioData(data: ArrayBuffer): Promise<AudioBufferLike>;
}

/**
 * Converts a Web Audio `AudioBuffer` (from `decodeAudioData`, or a recording) to
 * `{ sampleRate, channels }`, copying the samples.
 *
 * @example
 * ```ts
 * const buffer = await new AudioContext().decodeAudioData(await file.arrayBuffer());
 * const { sampleRate, channels } = fromAudioBuffer(buffer);
 * const mfcc = extractMfcc(toMono(channels), { sampleRate });
 * ```
 */
export function fromAudioBuffer(buffer: AudioBufferLike): DecodedAudio {
  if (!buffer || typeof buffer.getChannelData !== 'function' || !(buffer.numberOfChannels >= 1)) {
    throw new SpeechEmotionError(
      'INVALID_AUDIO',
      'fromAudioBuffer: expected an AudioBuffer with at least one channel.',
    );
  }
  const channels: Float32Array[] = [];
  for (let c = 0; c < buffer.numberOfChannels; c++)
    channels.push(Float32Array.from(buffer.getChannelData(c)));
  return { sampleRate: buffer.sampleRate, channels };
}

/**
 * Decodes audio bytes in the browser: WAV and AIFF with {@link decodeWav} and {@link decodeAiff}
 * (exact, the librosa convention),
 * anything else the browser can play (mp3, also in a WAV wrapper, ogg, webm/opus from a
 * `MediaRecorder`, m4a…) with the
 * Web Audio API. Note that `decodeAudioData` resamples to the context's rate; the returned
 * `sampleRate` says which.
 *
 * @param bytes - The file's bytes.
 * @param context - The audio context to decode with; default a new `OfflineAudioContext`.
 * @throws {@link SpeechEmotionError} `UNSUPPORTED_AUDIO` when the bytes are not WAV and no Web Audio
 * API is available (e.g. in Node: use `readAudioFile` from `speech-emotion/node`), `INVALID_AUDIO`
 * when the browser cannot decode them.
 *
 * @example
 * ```ts
 * const recorder = new MediaRecorder(stream);   // stream from getUserMedia
 * recorder.ondataavailable = async (e) => {
 *   const { sampleRate, channels } = await decodeAudio(new Uint8Array(await e.data.arrayBuffer()));
 * };
 * ```
 */
export async function decodeAudio(
  bytes: ArrayBuffer | Uint8Array,
  context?: AudioContextLike,
): Promise<DecodedAudio> {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // MP3 in a WAV wrapper: its MP3 stream goes to the browser's decoder below.
  const mp3 = mp3InWav(u8);
  if (!mp3 && (isWave(u8) || String.fromCharCode(...u8.subarray(0, 4)) === 'RIFF')) return decodeWav(u8);
  if (isAiff(u8)) return decodeAiff(u8);
  let ctx = context;
  if (!ctx) {
    const Offline = (
      globalThis as { OfflineAudioContext?: new (c: number, l: number, r: number) => AudioContextLike }
    ).OfflineAudioContext;
    if (!Offline) {
      throw new SpeechEmotionError(
        'UNSUPPORTED_AUDIO',
        "decodeAudio: only WAV can be decoded without the Web Audio API. In Node, use readAudioFile from 'speech-emotion/node'.",
      );
    }
    ctx = new Offline(1, 1, 44100);
  }
  let buffer: AudioBufferLike;
  try {
    buffer = await ctx.decodeAudioData((mp3 ?? u8).slice().buffer);
  } catch (e) {
    throw new SpeechEmotionError(
      'INVALID_AUDIO',
      `decodeAudio: the browser cannot decode these bytes (${(e as Error)?.message ?? e}).`,
      { cause: e },
    );
  }
  return fromAudioBuffer(buffer);
}
