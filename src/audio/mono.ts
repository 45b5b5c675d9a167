import { SpeechEmotionError } from '../errors.js';

/**
 * Mixes channels down to one by averaging them, as `librosa.to_mono`.
 *
 * @param channels - One array per channel, all the same length.
 * @returns The mean of the channels; a single channel is returned as is (not copied).
 *
 * @example
 * ```ts
 * const { sampleRate, channels } = decodeWav(bytes);
 * const mono = toMono(channels);
 * ```
 */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new SpeechEmotionError(
      'EMPTY_SIGNAL',
      'toMono: no channels were given. Pass the `channels` of decodeWav().',
    );
  }
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  for (const ch of channels) {
    if (ch.length !== n) {
      throw new SpeechEmotionError(
        'INVALID_OPTION',
        'toMono: the channels differ in length; they must be equal.',
      );
    }
  }
  const out = new Float32Array(n);
  const scale = 1 / channels.length;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (const ch of channels) acc += ch[i];
    out[i] = acc * scale;
  }
  return out;
}
