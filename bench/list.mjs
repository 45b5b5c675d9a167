// `npm run bench`: lists the benchmarks.
console.log(`speech-emotion benchmarks (each prints its figures and ratios against peers measured in the same run):

  npm run bench:mfcc     MFCC speed vs Meyda, essentia.js and an fft.js FFT+power bound (300 RAVDESS files)
  npm run bench:features rms, zcr, spectral shape, chroma (vs Meyda), yin and pyin (real-time factors)
  npm run bench:resample-peers  ours vs libsamplerate and Speex at 13 rates: speed and MFCC error vs sox (needs sox; also run by bench:resample)
  npm run bench:evaluate evaluate over 2800 clips at 24 414 Hz, every core
  npm run bench:stream   peak memory and speed of predict --timeline over a 75-minute recording
  npm run bench:bundle   browser bundle size of \`import { extractMfcc }\`
  npm run bench:extract  feature extraction over all 1560 files with 1 and 2 workers
  npm run bench:resample resampling throughput from the originals and from every rate 8–96 kHz, then the peers
  npm run bench:train    training speed of the reference CNN (ours on wasm vs stock cpu)
  npm run bench:predict  latency and throughput of the bundled default model
  npm run parity         librosa parity table (normalised error per reference case)

They read the datasets from $SPEECH_EMOTION_DATA or ../shared/datasets. Figures and how they were
measured: bench/README.md.`);
