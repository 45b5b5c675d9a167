import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { monoOf } from '../audio/mono.js';
import { formatSummary, summarize } from '../datasets/summary.js';
import { readAudioFile } from '../node/audio-file.js';
import { savePlot } from '../node/plot.js';
import { formatAudioSummary, plotAudio, summarizeAudio } from '../plot/audio-figure.js';
import { plotDatasetSummary } from '../plot/figures.js';
import { CHANNEL_HELP, UsageError, channelOf, parseArgs, scanAll } from './args.js';
import { warn, withWarnings } from './io.js';

export const INSPECT_HELP = `speech-emotion inspect <file | dataset dir> [--plot out.png|out.svg] [--json]

A recording: prints its duration, sample rate, channels, peak and RMS levels and the non-silent
(trimmed) interval; --plot draws the waveform, spectrogram, mel spectrogram and MFCC with time and
frequency axes and colour bars.
A dataset folder (or CSV manifest): prints recordings per label and speaker; --plot draws them.

PNG needs the optional package @napi-rs/canvas (npm install @napi-rs/canvas); SVG needs nothing.

Options: --plot FILE, --json (one JSON object; a recording's has warnings: [...] when it gives
  any, as on stderr), --dataset NAME (naming of a dataset folder), --channel N (${CHANNEL_HELP})

Examples:
  speech-emotion inspect clip.wav --plot clip.png
  speech-emotion inspect data/RAVDESS --plot ravdess.svg`;

export async function runInspect(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    { plot: 'string', json: 'boolean', dataset: 'string', channel: 'string', help: 'boolean' },
    'inspect',
  );
  if (flags.help) {
    console.log(INSPECT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('inspect: give one audio file or one dataset folder.');
  const target = positionals[0];
  const plot = flags.plot as string | undefined;
  const channel = channelOf('inspect', flags);
  if (plot !== undefined && !/\.(png|svg)$/i.test(plot))
    throw new UsageError(`inspect: --plot must name a .png or .svg file, got ${plot}.`);
  const info = await stat(target).catch(() => {
    throw new UsageError(`inspect: ${target} does not exist.`);
  });
  if (info.isDirectory() || target.toLowerCase().endsWith('.csv')) {
    const { items } = await scanAll([target], flags.dataset as string | undefined, Boolean(flags.json));
    const summary = summarize(items);
    console.log(flags.json ? JSON.stringify(summary) : formatSummary(summary));
    if (plot) {
      await savePlot(plotDatasetSummary(summary, basename(target)), plot);
      if (!flags.json) console.log(`plot: ${plot}`);
    }
    return 0;
  }
  const audio = await readAudioFile(target);
  const { signal, warnings } = monoOf(audio, channel);
  warn(target, warnings);
  const summary = summarizeAudio(signal, audio.sampleRate, audio.channels.length);
  console.log(
    flags.json
      ? JSON.stringify(withWarnings({ file: target, ...summary }, warnings))
      : `${target}\n${formatAudioSummary(summary)}`,
  );
  if (plot) {
    await savePlot(
      plotAudio(signal, audio.sampleRate, { title: basename(target), channels: audio.channels.length }),
      plot,
    );
    if (!flags.json) console.log(`plot: ${plot}`);
  }
  return 0;
}
