// The recording figure of `inspect` and the browser demo: waveform, spectrogram or MFCC with the
// pitch track, and an energy panel; plus the level summary printed beside it.
import { powerToDb } from '../dsp/db.js';
import { rms } from '../dsp/energy.js';
import { hzToMel } from '../dsp/mel.js';
import { extractMfcc, melSpectrogram } from '../dsp/mfcc.js';
import { pyin } from '../dsp/pyin.js';
import { spectrogram } from '../dsp/spectral.js';
import { trimSilence } from '../dsp/trim.js';
import type { FeatureMatrix } from '../dsp/types.js';
import { checkKnownOptions, checkSignal, checkedOnce, invalid } from '../dsp/validate.js';
import { type Axis, type Box, type Figure, SERIES, axes, heatmap, range } from './charts.js';
import type { Painter } from './painter.js';

/** Levels and extent of a recording, as printed by `speech-emotion inspect`. */
export interface AudioSummary {
  /** Seconds. */
  duration: number;
  /** Hz. */
  sampleRate: number;
  /** Channels of the file (the analysis uses their mean). */
  channels: number;
  /** Peak level, dBFS. */
  peakDb: number;
  /** RMS level, dBFS. */
  rmsDb: number;
  /** The non-silent part (60 dB below the peak frame), seconds, or `null` when all silent. */
  trimmed: {
    /** Seconds from the start. */
    start: number;
    /** Seconds from the start. */
    end: number;
  } | null;
}

/** Levels, duration and the trimmed interval of a mono signal. */
export function summarizeAudio(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  channels = 1,
): AudioSummary {
  checkSignal('summarizeAudio', signal);
  let peak = 0;
  let sq = 0;
  for (let i = 0; i < signal.length; i++) {
    const a = Math.abs(signal[i]);
    if (a > peak) peak = a;
    sq += a * a;
  }
  const db = (v: number) => (v > 0 ? 20 * Math.log10(v) : Number.NEGATIVE_INFINITY);
  let trimmed: AudioSummary['trimmed'] = null;
  if (peak > 0) {
    const t = trimSilence(signal, { topDb: 60 });
    if (t.end > t.start) trimmed = { start: t.start / sampleRate, end: t.end / sampleRate };
  }
  return {
    duration: signal.length / sampleRate,
    sampleRate,
    channels,
    peakDb: db(peak),
    rmsDb: db(Math.sqrt(sq / signal.length)),
    trimmed,
  };
}

/** One line per field of an {@link AudioSummary}. */
export function formatAudioSummary(s: AudioSummary): string {
  const f = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} dBFS` : 'silent');
  return [
    `duration ${s.duration.toFixed(3)} s, ${s.sampleRate} Hz, ${s.channels} channel${s.channels === 1 ? '' : 's'}`,
    `peak ${f(s.peakDb)}, RMS ${f(s.rmsDb)}`,
    s.trimmed
      ? `speech (trimmed at 60 dB) ${s.trimmed.start.toFixed(3)}–${s.trimmed.end.toFixed(3)} s`
      : 'no sound above the trim threshold',
  ].join('\n');
}

/** Options of {@link plotAudio}. */
export interface PlotAudioOptions {
  /** Shown in the title. */
  title?: string;
  /** Channels of the original file, for the summary line. Default 1. */
  channels?: number;
  /** FFT size of the spectrograms. Default 1024 (64 ms at 16 kHz). */
  nFft?: number;
  /** Hop, samples. Default nFft / 4. */
  hopLength?: number;
  /** Mel bands. Default 64. */
  nMels?: number;
  /** MFCC coefficients. Default 20. */
  nMfcc?: number;
  /** Width in pixels. Default 1000. */
  width?: number;
}

const MARGIN = { left: 80, right: 90 };
/** The pitch track's colour over the spectrogram: bright against viridis. */
const PITCH_COLOR = '#ff3b30';

/**
 * The pitch track of a recording: pyin over a speech range (50–500 Hz), with a frame long enough
 * for 50 Hz at this rate; f0 is NaN on unvoiced frames. `null` below 1 kHz sampling.
 * @internal
 */
export function pitchTrack(
  signal: Float32Array | Float64Array,
  sampleRate: number,
): { hopSeconds: number; f0: Float64Array } | null {
  if (sampleRate < 1000) return null;
  let frameLength = 256;
  while (frameLength / 2 - 1 < Math.ceil(sampleRate / 50)) frameLength *= 2;
  const hopLength = frameLength / 4;
  const { f0 } = pyin(signal, { sampleRate, fmin: 50, fmax: 500, frameLength, hopLength });
  return { hopSeconds: hopLength / sampleRate, f0 };
}

/**
 * The classic first look at a recording: waveform, spectrogram (dB) with the pitch track (pyin f0
 * over voiced frames), mel spectrogram (dB), MFCC and the energy curve (RMS in dBFS), over time in
 * seconds, frequency axes in Hz, each heatmap with a colour bar, under a summary line (duration,
 * rate, channels, peak and RMS levels, trimmed interval).
 *
 * @example
 * ```ts
 * import {plotAudio, readMono, savePlot} from 'speech-emotion/node';
 * const { signal, sampleRate } = await readMono('clip.wav');
 * await savePlot(plotAudio(signal, sampleRate), 'clip.png');
 * ```
 */
export function plotAudio(
  signal: Float32Array | Float64Array,
  sampleRate: number,
  options: PlotAudioOptions = {},
): Figure {
  const fn = 'plotAudio';
  checkKnownOptions(fn, options, ['title', 'channels', 'nFft', 'hopLength', 'nMels', 'nMfcc', 'width']);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw invalid(fn, `'sampleRate' must be a positive integer (Hz).`);
  // Checked once here; the analyses below trust it.
  const a = checkedOnce(fn, signal, () => analyse(signal, sampleRate, options));
  const width = options.width ?? 1000;
  const height = TOP + 5 * (PANEL + GAP);
  const plotW = width - MARGIN.left - MARGIN.right;
  const box = (i: number): Box => ({ x: MARGIN.left, y: TOP + i * (PANEL + GAP), w: plotW, h: PANEL });
  const time: Axis = { min: 0, max: a.duration, title: 'time (s)' };
  const nyq = sampleRate / 2;
  const max = { cols: Math.floor(plotW), rows: PANEL };
  const dbScale = (m: FeatureMatrix) => ({ title: 'dB', lo: range(m.data)[0], hi: range(m.data)[1] });
  return {
    width,
    height,
    draw(p: Painter) {
      p.fillRect(0, 0, width, height, '#fff');
      p.text(MARGIN.left, 18, options.title ?? 'recording', { size: 15, bold: true });
      p.text(MARGIN.left, 42, formatAudioSummary(a.summary).replace(/\n/g, '  ·  '), { size: 12 });
      drawWaveform(p, box(0), time, signal, sampleRate, a.summary);
      heatmap(
        p,
        box(1),
        a.spec,
        time,
        { min: 0, max: nyq, title: 'frequency (Hz)', ticks: undefined },
        dbScale(a.spec),
        max,
      );
      p.text(MARGIN.left, box(1).y - 10, 'spectrogram', { size: 12, bold: true });
      if (a.pitch) drawPitch(p, box(1), a.pitch, a.duration, nyq);
      const melAxis = {
        min: 0,
        max: a.mel.features,
        title: 'frequency (Hz, mel scale)',
        ticks: melTicks(nyq, a.mel.features),
      };
      heatmap(p, box(2), a.mel, time, melAxis, dbScale(a.mel), max);
      p.text(MARGIN.left, box(2).y - 10, `mel spectrogram (${a.mel.features} bands)`, {
        size: 12,
        bold: true,
      });
      // c0 (log energy) dwarfs the other coefficients: the colour range is set by c1 and up.
      const { mfcc } = a;
      const rest = mfcc.features > 1 ? mfcc.data.filter((_, i) => i % mfcc.features !== 0) : mfcc.data;
      const [mlo, mhi] = range(rest);
      heatmap(
        p,
        box(3),
        mfcc,
        time,
        { min: 0, max: mfcc.features, title: 'coefficient' },
        { title: 'value', lo: mlo, hi: mhi },
        max,
      );
      p.text(MARGIN.left, box(3).y - 10, `MFCC (${mfcc.features})`, { size: 12, bold: true });
      drawEnergy(p, box(4), time, a.energyDb, a.hopSeconds, a.duration);
    },
  };
}

const PANEL = 190;
const GAP = 62;
const TOP = 64;

/** Everything plotAudio draws, computed once. */
function analyse(signal: Float32Array | Float64Array, sampleRate: number, options: PlotAudioOptions) {
  const nFft = options.nFft ?? 1024;
  const hopLength = options.hopLength ?? nFft / 4;
  const stft = { nFft, hopLength };
  const energy = rms(signal, { sampleRate, frameLength: nFft, hopLength });
  return {
    summary: summarizeAudio(signal, sampleRate, options.channels ?? 1),
    spec: powerToDb(spectrogram(signal, stft), { ref: 'max', topDb: 80 }),
    mel: powerToDb(melSpectrogram(signal, { sampleRate, ...stft, nMels: options.nMels ?? 64 }), {
      ref: 'max',
      topDb: 80,
    }),
    mfcc: extractMfcc(signal, { sampleRate, ...stft, nMfcc: options.nMfcc ?? 20 }),
    pitch: pitchTrack(signal, sampleRate),
    energyDb: energy.data.map((v) => 20 * Math.log10(Math.max(v, 1e-5))),
    hopSeconds: hopLength / sampleRate,
    duration: signal.length / sampleRate,
  };
}

/** Ticks of a mel-scaled axis of `bands` bands, at round frequencies up to Nyquist. */
function melTicks(nyq: number, bands: number): [number, string][] {
  const melTop = hzToMel(nyq);
  return [0, 250, 500, 1000, 2000, 4000, 8000, 16000]
    .filter((hz) => hz <= nyq)
    .map((hz) => [(hzToMel(hz) / melTop) * bands, hz >= 1000 ? `${hz / 1000}k` : String(hz)]);
}

/** Waveform as a min/max envelope per pixel column, with the trimmed interval marked. */
function drawWaveform(
  p: Painter,
  b: Box,
  time: Axis,
  signal: Float32Array | Float64Array,
  sampleRate: number,
  summary: AudioSummary,
): void {
  const cols = Math.max(1, Math.floor(b.w));
  const [lo, hi] = range(signal);
  const amp = Math.max(Math.abs(lo), Math.abs(hi), 1e-9);
  const { px, py } = axes(p, b, time, { min: -amp, max: amp, title: 'amplitude' });
  const env: [number, number][] = [];
  for (let c = 0; c < cols; c++) {
    const s0 = Math.floor((c * signal.length) / cols);
    const s1 = Math.max(s0 + 1, Math.floor(((c + 1) * signal.length) / cols));
    let mn = signal[s0];
    let mx = signal[s0];
    for (let s = s0; s < s1 && s < signal.length; s++) {
      if (signal[s] < mn) mn = signal[s];
      if (signal[s] > mx) mx = signal[s];
    }
    const x = px((s0 + s1) / 2 / sampleRate);
    env.push([x, py(mx)], [x, py(mn)]);
  }
  p.polyline(env, SERIES[0], 1);
  if (!summary.trimmed) return;
  for (const t of [summary.trimmed.start, summary.trimmed.end])
    p.polyline(
      [
        [px(t), b.y],
        [px(t), b.y + b.h],
      ],
      SERIES[1],
      1,
    );
  p.text(b.x + b.w, b.y - 8, 'trimmed interval (red)', { align: 'end', size: 10, color: SERIES[1] });
}

/** Pitch (pyin f0) over the spectrogram, voiced frames only: one line per voiced stretch. */
function drawPitch(
  p: Painter,
  b: Box,
  pitch: { hopSeconds: number; f0: Float64Array },
  duration: number,
  nyq: number,
): void {
  const x = (t: number) => b.x + (t / duration) * b.w;
  const y = (hz: number) => b.y + b.h - (hz / nyq) * b.h;
  let run: [number, number][] = [];
  const flush = () => {
    if (run.length === 1) run.push([run[0][0] + 1, run[0][1]]);
    if (run.length) p.polyline(run, PITCH_COLOR, 2);
    run = [];
  };
  pitch.f0.forEach((hz, t) => {
    const at = t * pitch.hopSeconds;
    if (Number.isNaN(hz) || at > duration) flush();
    else run.push([x(at), y(hz)]);
  });
  flush();
  p.text(b.x + b.w, b.y - 10, 'pitch (pyin f0, voiced frames)', {
    align: 'end',
    size: 10,
    color: PITCH_COLOR,
  });
}

/** Energy: RMS per frame in dB re full scale (floored at −100 dB). */
function drawEnergy(
  p: Painter,
  b: Box,
  time: Axis,
  energyDb: Float32Array,
  hopSeconds: number,
  duration: number,
): void {
  const [elo, ehi] = range(energyDb);
  const e = axes(p, b, time, {
    min: Math.floor(elo / 10) * 10,
    max: Math.ceil(ehi / 10) * 10 || 10,
    title: 'dBFS',
  });
  p.polyline(
    Array.from(energyDb, (v, t) => [e.px(Math.min(duration, t * hopSeconds)), e.py(v)] as [number, number]),
    SERIES[0],
    1.5,
  );
  p.text(MARGIN.left, b.y - 10, 'energy (RMS per frame)', { size: 12, bold: true });
}
