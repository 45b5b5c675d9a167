/**
 * Node-only helpers (`speech-emotion/node`): file access on top of the browser-safe core.
 *
 * @packageDocumentation
 */
import { monoOf, selectChannel } from './audio/mono.js';
import { readAudioFile } from './node/audio-file.js';

export * from './index.js';
export { pickBackend, useBackend } from './node/backend.js';
export { type ScanOptions, type ScanResult, scanDataset } from './node/datasets.js';
export { decodeAudioBytes, readAudioFile } from './node/audio-file.js';
export { savePlot } from './node/plot.js';
export { type ExtractOptions, type ExtractResult, extractItems } from './node/extract.js';
export type { FileResult } from './node/process-file.js';
export { type MonoStream, streamMono } from './node/audio-stream.js';
export { type ItemRows, type RecipeRows, itemRows, recipeRows, trainingRows } from './node/recipe-rows.js';

/** A mono signal and its sample rate. */
export interface MonoAudio {
  /** Samples, mixed down to one channel. */
  signal: Float32Array;
  /** Sample rate in Hz. */
  sampleRate: number;
  /**
   * What was read despite damage (a file cut short, …), a mix whose channels cancel out (one with
   * its polarity reversed: read one channel instead), and a recording that clips (made too loud:
   * {@link clippingShare}); absent when there is nothing to say.
   */
  warnings?: string[];
}

/**
 * Reads an audio file (see {@link readAudioFile}) and mixes it to mono, the way librosa loads audio
 * for analysis (`librosa.load(path, sr=None)`), or keeps one of its channels.
 *
 * @param path - File path.
 * @param options - `channel`: keep this channel (from 0: the left channel of a stereo file) instead
 *   of the mix, for recordings with a voice per channel (see {@link selectChannel}); a file without
 *   it is an `INVALID_OPTION` error.
 * @returns `{ signal, sampleRate }`.
 *
 * @example
 * ```ts
 * import { extractMfcc } from 'speech-emotion';
 * import { readMono } from 'speech-emotion/node';
 * const { signal, sampleRate } = await readMono('speech.wav');
 * const mfcc = extractMfcc(signal, { sampleRate });
 * ```
 */
export async function readMono(path: string, options: { channel?: number } = {}): Promise<MonoAudio> {
  return monoOf(await readAudioFile(path), options.channel);
}
