/**
 * A sound shaped into syllables, as speech comes: `x` times an envelope that rises and falls `rate`
 * times a second between 0.15 and 1 (about 16 dB). The no-speech check withholds a label from a
 * sound whose level is steady (hum, a held tone), so synthetic stand-ins for speech need this.
 */
export function syllabic(x: Float32Array, sampleRate: number, rate = 4): Float32Array {
  return x.map((v, t) => v * (0.15 + 0.85 * Math.sin((Math.PI * rate * t) / sampleRate) ** 2));
}

/** Mains hum: `hz` and its harmonics up to the 6th, the k-th at 1/k, peaking near `level`. */
export function hum(seconds: number, hz: number, sampleRate: number, level = 0.1): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * sampleRate) }, (_, i) => {
    let v = 0;
    for (let k = 1; k <= 6; k++) v += Math.sin((2 * Math.PI * hz * k * i) / sampleRate + k) / k;
    return level * v;
  });
}

/** A seeded uniform generator in [0, 1) (an LCG), for reproducible synthetic data. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** One second of a 220 Hz tone at 16 kHz, shaped into syllables: a stand-in for speech in model tests. */
export function syllabicTone(): Float32Array {
  return syllabic(
    Float32Array.from({ length: 16000 }, (_, t) => 0.3 * Math.sin((2 * Math.PI * 220 * t) / 16000)),
    16000,
  );
}
