// speech-emotion evaluate: scores a model on labelled folders, on the labels the data carries.
import type { FeatureRow } from '../features/file.js';
import { expectedCalibrationError } from '../model/calibration.js';
import { EmotionModel } from '../model/emotion-model.js';
import { itemRows } from '../node/recipe-rows.js';
import { CHANNEL_HELP, UsageError, channelOf, parseArgs, scanAll } from './args.js';
import { formatEvaluation, startBackend } from './model-common.js';

export const EVALUATE_HELP = `speech-emotion evaluate <modelDir|default> <dirs…> [--json]

Scores a saved model on labelled dataset folders (use speakers the model never heard). Predictions
are restricted to the labels the data carries (SAVEE has no 'calm': a SAVEE clip is never scored
as calm), the headline figure; the figure with all the model's labels is printed too. --all-labels
makes the unrestricted figure the headline. With --json, the last line is one JSON object: accuracy,
unweightedAccuracy, macroF1, perClass, confusion, count, headline (which of the two it is), labels,
and allLabels (the unrestricted figures, when they differ) or, with --all-labels, restricted.
For a calibrated model (the bundled one is), 'calibrated' gives how its scores, as predict gives
them, fare on the headline's labels: expected calibration error (ECE, 15 bins), the share marked
uncertain and, when the model tells unfamiliar audio, the share marked unfamiliar and the accuracy
of the familiar and unfamiliar recordings.

Options: --json, --all-labels, --backend NAME, --jobs N, --dataset NAME,
  --channel N (${CHANNEL_HELP})

Example:
  speech-emotion evaluate models/ravdess data/RAVDESS-holdout --json`;

/** What the model's calibrated predictions (as `predict` gives them) say about these rows. */
export interface CalibratedFigures {
  ece: number;
  uncertainShare: number;
  unfamiliarShare?: number;
  accuracyFamiliar?: number;
  accuracyUnfamiliar?: number;
}

async function calibratedFigures(
  model: EmotionModel,
  rows: FeatureRow[],
  labels: string[],
): Promise<CalibratedFigures | undefined> {
  if (!model.calibration || rows.length === 0) return undefined;
  const predictions = await model.labelFeatures(
    rows.map((r) => r.features),
    labels,
  );
  const right = predictions.map((p, i) => p.label === rows[i].label);
  const accuracy = (unfamiliar: boolean) => {
    const group = right.filter((_, i) => predictions[i].unfamiliar === unfamiliar);
    return group.length ? group.filter(Boolean).length / group.length : 0;
  };
  const told = predictions[0].unfamiliar !== undefined;
  return {
    ece: expectedCalibrationError(
      predictions.map((p) => labels.map((l) => p.scores[l])),
      rows.map((r) => labels.indexOf(r.label)),
    ),
    uncertainShare: predictions.filter((p) => p.uncertain).length / rows.length,
    ...(told
      ? {
          unfamiliarShare: predictions.filter((p) => p.unfamiliar).length / rows.length,
          accuracyFamiliar: accuracy(false),
          accuracyUnfamiliar: accuracy(true),
        }
      : {}),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function runEvaluate(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    {
      json: 'boolean',
      backend: 'string',
      jobs: 'number',
      dataset: 'string',
      channel: 'string',
      'all-labels': 'boolean',
      help: 'boolean',
    },
    'evaluate',
  );
  if (flags.help) {
    console.log(EVALUATE_HELP);
    return 0;
  }
  const [modelDir, ...dirs] = positionals;
  if (!modelDir || dirs.length === 0)
    throw new UsageError('evaluate: give a model folder and at least one dataset folder.');
  const channel = channelOf('evaluate', flags);
  await startBackend(flags.backend);
  const model = await EmotionModel.load(modelDir === 'default' ? undefined : modelDir);
  const { items } = await scanAll(dirs, flags.dataset as string | undefined, Boolean(flags.json));
  const known = new Set(model.labels);
  const usable = items.filter((i) => known.has(i.label));
  if (usable.length < items.length)
    console.error(`skipping ${items.length - usable.length} recordings whose labels the model does not know`);
  const { rows, dropped } = await itemRows(usable, model.featureSpec, {
    jobs: flags.jobs as number | undefined,
    channel,
  });
  for (const d of dropped) console.error(`dropped ${d}`);
  // Headline: predictions restricted to the labels the data carries (a 7-emotion corpus is not
  // scored on the model's eighth), unless --all-labels; the other figure is reported too.
  const carried = model.labels.filter((l) => rows.some((r) => r.label === l));
  const restricted = await model.evaluate(rows, { labels: carried });
  const all = carried.length === model.labels.length ? restricted : await model.evaluate(rows);
  const headline = flags['all-labels'] ? all : restricted;
  const which = flags['all-labels'] ? 'all labels' : `restricted to the ${carried.length} labels in the data`;
  const calibrated = await calibratedFigures(model, rows, headline.confusion.labels);
  if (flags.json) {
    const out: Record<string, unknown> = {
      ...headline,
      headline: which,
      labels: headline.confusion.labels,
      ...(calibrated ? { calibrated } : {}),
    };
    if (!flags['all-labels'] && all !== restricted) out.allLabels = all;
    if (flags['all-labels'] && all !== restricted) out.restricted = restricted;
    console.log(JSON.stringify(out));
  } else {
    console.log(`headline: predictions ${which}`);
    console.log(formatEvaluation(headline));
    if (all !== restricted) {
      const other = flags['all-labels'] ? restricted : all;
      console.log(
        `\n${flags['all-labels'] ? `restricted to the ${carried.length} labels in the data` : "with all the model's labels"}: UA ${pct(other.unweightedAccuracy)}, accuracy ${pct(other.accuracy)}, macro F1 ${pct(other.macroF1)}`,
      );
    }
    if (calibrated)
      console.log(
        `\ncalibrated scores (as predict gives them): ECE ${pct(calibrated.ece)}, uncertain ${pct(calibrated.uncertainShare)}${calibrated.unfamiliarShare === undefined ? '' : `; unfamiliar ${pct(calibrated.unfamiliarShare)} (accuracy ${pct(calibrated.accuracyFamiliar ?? 0)} of the familiar, ${pct(calibrated.accuracyUnfamiliar ?? 0)} of the unfamiliar)`}`,
      );
  }
  model.dispose();
  return 0;
}
