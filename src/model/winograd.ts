// Winograd's minimal filtering for the five-tap convolutions over time: predictions' (series-block.ts)
// and training's where it runs fused (wasm-conv1d.ts).

/**
 * Winograd's F(4, 5) (Lavin & Gray 2016), built by Cook–Toom from the points 0, ±1, ±1/2, ±2 and
 * ∞: four outputs of a 5-tap correlation from 8 inputs with 8 products instead of 20. Row-major
 * `bt` (8 × 8, the input transform), `g` (8 × 5, the filter's) and `at` (4 × 8, the output's).
 * In float32 the error on a layer of the built-in designs is about 2e-6 of its largest output,
 * against 5e-7 for the direct sum (a throwaway simulation). @internal
 */
export const WINOGRAD = ((m: number, k: number, points: number[]) => {
  const n = m + k - 1;
  const times = (p: number[], q: number[]) => {
    const out = new Array<number>(p.length + q.length - 1).fill(0);
    for (let i = 0; i < p.length; i++) for (let j = 0; j < q.length; j++) out[i + j] += p[i] * q[j];
    return out;
  };
  // Π over the finite points but `skip` of (x − a), as coefficients from x⁰ up.
  const product = (skip: number) => points.reduce((p, a, l) => (l === skip ? p : times(p, [-a, 1])), [1]);
  const bt: number[] = [];
  const g: number[] = [];
  const at: number[] = [];
  points.forEach((a, i) => {
    bt.push(...product(i), 0);
    const scale = points.reduce((s, b, l) => (l === i ? s : s * (a - b)), 1);
    for (let j = 0; j < k; j++) g.push(a ** j / scale);
  });
  bt.push(...product(-1));
  for (let j = 0; j < k; j++) g.push(j === k - 1 ? 1 : 0);
  for (let o = 0; o < m; o++) at.push(...points.map((a) => a ** o), o === m - 1 ? 1 : 0);
  return { m, k, n, bt, g, at };
})(4, 5, [0, 1, -1, 0.5, -0.5, 2, -2]);
