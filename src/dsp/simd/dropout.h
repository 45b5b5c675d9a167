// Dropout multipliers of training, included by kernels.c (src/model/dropout.ts): the numbers of
// seedrandom's Alea generator, which tfjs-core's dropout draws its masks from, in integers. Alea
// keeps three 32-bit fractions s and a carry c and steps t = 2091639 · s0 + c · 2⁻³², c = ⌊t⌋,
// returning t − c: the same as T = 2091639 · S0 + c on 64-bit integers (S0 = s0 · 2³²), c = T >> 32,
// returning D · 2⁻³² with D = T mod 2³². Exact either way; here a step is an integer multiply and
// add instead of a chain of float64 operations and a truncation (about 7 ns a number in JavaScript).
// A value is kept where float32(D · 2⁻³²) + keep ≥ 1 in float32, which grows with D: where D ≥ a
// threshold the caller finds once, so no number is converted to floating point at all.

// out[i] = kept where the i-th number's D ≥ threshold, else 0, from the Alea state (s0, s1, s2, carry)
// (the fractions times 2³²) in state[0..3], where the state after the n-th number is written back.
__attribute__((export_name("dropout_alea_f32")))
void dropout_alea_f32(int n, double *state, double threshold, float kept, float *out) {
  unsigned long long a = (unsigned long long)state[0], b = (unsigned long long)state[1];
  unsigned long long d = (unsigned long long)state[2], carry = (unsigned long long)state[3];
  const unsigned long long th = (unsigned long long)threshold;
  union { float f; unsigned u; } k = {kept};
  unsigned *o = (unsigned *)out;
  for (int i = 0; i < n; i++) {
    const unsigned long long t = 2091639ull * a + carry;
    a = b;
    b = d;
    carry = t >> 32;
    d = t & 0xffffffffull;
    o[i] = (d >= th ? 0xffffffffu : 0u) & k.u;
  }
  state[0] = (double)a;
  state[1] = (double)b;
  state[2] = (double)d;
  state[3] = (double)carry;
}
