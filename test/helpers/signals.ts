/**
 * A sound shaped into syllables, as speech comes: `x` times an envelope that rises and falls `rate`
 * times a second between 0.15 and 1 (about 16 dB). The no-speech check withholds a label from a
 * sound whose level is steady (hum, a held tone), so synthetic stand-ins for speech need this.
 */
export function syllabic(x: Float32Array, sampleRate: number, rate = 4): Float32Array {
  return x.map((v, t) => v * (0.15 + 0.85 * Math.sin((Math.PI * rate * t) / sampleRate) ** 2));
}
