// Training's convolutions with fused multiply-adds (relaxed SIMD's f32x4.relaxed_madd): the kernels
// of conv1d.h, with the five-tap ones in Winograd's form besides, built into src/dsp/simd-fused-module.ts by
// `node scripts/build-wasm.mjs` (clang 16 or later). Used where the runtime validates it and
// `fit` is not told `fusedMultiplyAdd: false` (src/model/wasm-conv1d.ts).
#define SE_FUSED
#include "conv1d.h"
