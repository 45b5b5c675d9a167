/** Greatest common divisor of two non-negative integers. @internal */
export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A small seeded PRNG (mulberry32): uniform numbers in [0, 1). @internal */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from a uniform generator (Box–Muller). @internal */
export function normalFrom(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) draw (Marsaglia and Tsang; shape < 1 boosted by U^(1/shape)). @internal */
export function gammaFrom(random: () => number, shape: number): number {
  if (shape < 1) return gammaFrom(random, shape + 1) * Math.max(random(), 1e-12) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normalFrom(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(Math.max(random(), 1e-12)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw, from two Gamma draws. @internal */
export function betaFrom(random: () => number, a: number, b: number): number {
  const x = gammaFrom(random, a);
  const y = gammaFrom(random, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/** The largest absolute value in `x` (0 for an empty array): a signal's peak sample. */
export function peakAbs(x: ArrayLike<number>): number {
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]));
  return peak;
}
