import { SpeechEmotionError } from '../errors.js';
import { clippingWarning } from './clipping.js';

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

/**
 * One channel of a recording, or all of them mixed down ({@link toMono}) when `channel` is not given.
 * For recordings whose channels hold different voices: a call recorded with the caller on one side
 * and the agent on the other, an interview with a microphone per person.
 *
 * @param channels - One array per channel (as {@link decodeWav} returns them).
 * @param channel - Index of the channel to keep, from 0 (the left channel of a stereo file);
 *   `undefined` mixes every channel.
 * @returns The channel itself (not copied), or the mix.
 * @throws {@link SpeechEmotionError} `INVALID_OPTION` when `channel` is not a whole number or the
 * recording has no such channel.
 *
 * @example
 * ```ts
 * const { sampleRate, channels } = decodeWav(bytes);
 * const caller = selectChannel(channels, 0);
 * const agent = selectChannel(channels, 1);
 * ```
 */
export function selectChannel(channels: readonly Float32Array[], channel?: number): Float32Array {
  if (channel === undefined) return toMono(channels);
  checkChannel(channel, channels.length);
  return channels[channel];
}

/**
 * How much quieter than its channels a mix of them is, in dB ({@link toMono}'s mix against the
 * channels' mean power): about 0 for channels that carry the same sound, 3 for unrelated ones, and
 * over 10 when they cancel out (one is the other with its polarity reversed, or nearly: a wiring
 * fault), when the mix holds little of the voice and one channel ({@link selectChannel}) should be
 * read instead. `Infinity` when the mix is silent and the channels are not; 0 for one channel or
 * for silence.
 *
 * @example
 * ```ts
 * const { channels } = decodeWav(bytes);
 * const signal = mixLossDb(channels) > 10 ? channels[0] : toMono(channels);
 * ```
 */
export function mixLossDb(channels: readonly Float32Array[]): number {
  return channels.length < 2 ? 0 : lossDb(channels, toMono(channels));
}

/** {@link mixLossDb} of `channels`, whose mix is `mix`. */
function lossDb(channels: readonly Float32Array[], mix: Float32Array): number {
  const power = (x: Float32Array) => {
    let e = 0;
    for (let i = 0; i < x.length; i++) e += x[i] * x[i];
    return e;
  };
  const each = channels.reduce((a, c) => a + power(c), 0) / channels.length;
  return each > 0 ? 10 * Math.log10(each / power(mix)) : 0;
}

/** How much quieter than its channels (dB) a mix may be before it counts as cancelled. */
const CANCEL_DB = 10;

/**
 * {@link selectChannel}, with what the channels say about the recording: a warning when a mix of
 * several channels is over {@link CANCEL_DB} quieter than the channels themselves
 * ({@link mixLossDb}), and one when a channel the signal is made of clips ({@link clippingWarning}).
 * @internal
 */
export function channelOrMix(
  channels: readonly Float32Array[],
  channel?: number,
): { signal: Float32Array; warnings: string[] } {
  const signal = selectChannel(channels, channel);
  const cancelled = channel === undefined ? cancelWarning(channels, signal) : undefined;
  const clipped = clippingWarning(channel === undefined ? channels : [signal]);
  return { signal, warnings: [cancelled, clipped].filter((w) => w !== undefined) };
}

/** The warning for a `mix` of `channels` that is over {@link CANCEL_DB} quieter than they are. */
function cancelWarning(channels: readonly Float32Array[], mix: Float32Array): string | undefined {
  if (channels.length < 2) return undefined;
  const drop = lossDb(channels, mix);
  if (!(drop > CANCEL_DB)) return undefined;
  const by = Number.isFinite(drop) ? `is ${drop.toFixed(0)} dB quieter than` : 'is silent, unlike';
  return `the channels cancel out when mixed (the mix ${by} the channels: one is likely the other with its polarity reversed); read one channel instead (channel: 0, or --channel 1)`;
}

/**
 * Decoded audio as one signal, with the decoder's warnings and {@link channelOrMix}'s (a mix that
 * cancels, clipping) together; `warnings` is absent when there are none. @internal
 */
export function monoOf(
  audio: { sampleRate: number; channels: readonly Float32Array[]; warnings?: string[] },
  channel?: number,
): { signal: Float32Array; sampleRate: number; warnings?: string[] } {
  const { signal, warnings: own } = channelOrMix(audio.channels, channel);
  const warnings = [...(audio.warnings ?? []), ...own];
  const { sampleRate } = audio;
  return warnings.length ? { signal, sampleRate, warnings } : { signal, sampleRate };
}

/** Throws unless `channel` is one of `count` channels (see {@link selectChannel}). @internal */
export function checkChannel(channel: number, count: number): void {
  if (!Number.isInteger(channel) || channel < 0)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `selectChannel: channel must be a whole number from 0 (the first channel); got ${channel}.`,
    );
  if (channel >= count)
    throw new SpeechEmotionError(
      'INVALID_OPTION',
      `the recording has ${count} channel${count === 1 ? '' : 's'}; channel ${channel + 1} (index ${channel}) was asked for.`,
    );
}
