// speech-emotion calibrate: temperature scaling learnt from a cross-validation's held-out
// predictions (cv-clips.json), with the calibration error before and after; also used by `train`.
import { readFileSync } from 'node:fs';
import {
  UNCERTAIN_BELOW,
  applyTemperature,
  expectedCalibrationError,
  fitTemperature,
} from '../model/calibration.js';
import { EmotionModel } from '../model/emotion-model.js';
import { UsageError, parseArgs } from './args.js';
import { acrossCalibration, formatAcross } from './calibrate-across.js';
import { startBackend } from './model-common.js';

export const CALIBRATE_HELP = `speech-emotion calibrate <modelDir> --from <cv-clips.json> [--across <cv-clips.json>] [--uncertain-below P]

Learns a temperature for the model's scores from held-out predictions: the cv-clips.json that
'speech-emotion train --folds …' writes (each test clip's probabilities, from models that never
heard its speaker). It prints the expected calibration error (ECE, 15 bins) before and after, the
'after' cross-fitted (each fold scored with the temperature learnt on the other folds), and saves
the calibration into the model. 'train' with --folds does this itself for the model it trains.

Use the cross-validation of the same recipe as the model; the temperature of one recipe does not
carry over to another.

With --across, it also learns where unfamiliar audio starts and what temperature it gets. Every
model 'train' makes carries a familiarity detector (how far a recording lies from its training
recordings, on its first member's embedding), and every held-out clip in cv-clips.json its fold
model's distance. Audio further than 95% of the held-out speakers (--from) is unfamiliar; its
temperature is learnt on the clips of the other corpus beyond that distance, from leave one corpus
out ('train … --folds corpus --cv-only', one member of the recipe is enough). Predictions of such
audio say 'unfamiliar' and get softer scores. Without --across, a model's earlier threshold and
temperature for unfamiliar audio are dropped (they belong with the temperature learnt then).

Options:
  --from FILE            cv-clips.json of a cross-validation (required)
  --across FILE          cv-clips.json of leave one corpus out: also learn the unfamiliar audio's
                         threshold and temperature (the model needs a familiarity detector)
  --json                 print the figures as one JSON object
  --uncertain-below P    predictions whose top calibrated score is under P are marked uncertain
                         (default ${UNCERTAIN_BELOW})
  --dry-run              print the figures, leave the model as it is

Examples:
  speech-emotion calibrate models/mine --from models/mine/cv-clips.json
  speech-emotion calibrate models/mine --from models/mine/cv-clips.json --across runs/loco/cv-clips.json`;

/** The folds of a cv-clips.json: each fold's label order and its clips. */
export interface HeldOutFold {
  name: string;
  labels: string[];
  /** Each test clip's label and probabilities; from train, also its path and familiarity figures. */
  clips: { label: string; probs: number[]; distance?: number; memberProbs?: number[] }[];
}

/** What {@link foldCalibration} measured. */
export interface CalibrationReport {
  temperature: number;
  clips: number;
  folds: number;
  /** ECE of the raw probabilities. */
  eceBefore: number;
  /** ECE with each fold scaled by the temperature learnt on the other folds. */
  eceAfter: number;
  /** Share of clips marked uncertain after calibration (cross-fitted), and accuracy of each group. */
  uncertainShare: number;
  accuracyCertain: number;
  accuracyUncertain: number;
}

/** Each clip's probabilities over `labels` (0 for a label its fold's model did not know), and truth. */
function aligned(folds: HeldOutFold[], labels: string[]) {
  return folds.map((f) => {
    const at = labels.map((l) => f.labels.indexOf(l));
    const clips = f.clips.filter((c) => labels.includes(c.label));
    return {
      probs: clips.map((c) => at.map((j) => (j < 0 ? 0 : c.probs[j]))),
      truth: clips.map((c) => labels.indexOf(c.label)),
    };
  });
}

/**
 * The temperature learnt on all the held-out clips (in `labels`' order), and the calibration error
 * before and after, cross-fitted over the folds so that the 'after' figure is itself held out.
 */
export function foldCalibration(
  folds: HeldOutFold[],
  labels: string[],
  uncertainBelow = UNCERTAIN_BELOW,
): CalibrationReport {
  const parts = aligned(folds, labels).filter((p) => p.truth.length > 0);
  if (parts.length === 0)
    throw new UsageError('calibrate: the folds hold no clip with a label of the model.');
  const all = { probs: parts.flatMap((p) => p.probs), truth: parts.flatMap((p) => p.truth) };
  const calibrated: Float64Array[] = [];
  for (const [i, p] of parts.entries()) {
    const others = parts.filter((_, j) => j !== i);
    const t =
      others.length > 0
        ? fitTemperature(
            others.flatMap((o) => o.probs),
            others.flatMap((o) => o.truth),
          )
        : 1;
    for (const q of p.probs) calibrated.push(applyTemperature(q, t));
  }
  let uncertain = 0;
  let rightUncertain = 0;
  let rightCertain = 0;
  for (const [i, q] of calibrated.entries()) {
    let best = 0;
    for (let j = 1; j < q.length; j++) if (q[j] > q[best]) best = j;
    const right = best === all.truth[i] ? 1 : 0;
    if (q[best] < uncertainBelow) {
      uncertain++;
      rightUncertain += right;
    } else rightCertain += right;
  }
  const n = all.truth.length;
  return {
    temperature: fitTemperature(all.probs, all.truth),
    clips: n,
    folds: parts.length,
    eceBefore: expectedCalibrationError(all.probs, all.truth),
    eceAfter: expectedCalibrationError(calibrated, all.truth),
    uncertainShare: uncertain / n,
    accuracyCertain: n > uncertain ? rightCertain / (n - uncertain) : 0,
    accuracyUncertain: uncertain ? rightUncertain / uncertain : 0,
  };
}

/** The report as lines of text (for the terminal and report.md). */
export function formatCalibration(r: CalibrationReport, uncertainBelow: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `temperature ${r.temperature.toFixed(3)}, learnt on ${r.clips} held-out clips over ${r.folds} folds`,
    `expected calibration error: ${pct(r.eceBefore)} before, ${pct(r.eceAfter)} after (cross-fitted)`,
    `uncertain (top score under ${uncertainBelow}): ${pct(r.uncertainShare)} of clips; accuracy ${pct(r.accuracyCertain)} on the others, ${pct(r.accuracyUncertain)} on these`,
  ].join('\n');
}

/** Reads a cv-clips.json, refusing anything else with a usage error. */
export function readHeldOut(path: string): HeldOutFold[] {
  let parsed: { folds?: HeldOutFold[] };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`calibrate: cannot read ${path}: ${(e as Error).message}`);
  }
  const folds = parsed.folds;
  if (!Array.isArray(folds) || folds.some((f) => !Array.isArray(f?.labels) || !Array.isArray(f?.clips)))
    throw new UsageError(`calibrate: ${path} is not a cv-clips.json (no folds with labels and clips).`);
  return folds;
}

export async function runCalibrate(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(
    argv,
    {
      from: 'string',
      across: 'string',
      json: 'boolean',
      'uncertain-below': 'number',
      'dry-run': 'boolean',
      backend: 'string',
      help: 'boolean',
    },
    'calibrate',
  );
  if (flags.help) {
    console.log(CALIBRATE_HELP);
    return 0;
  }
  const [modelDir] = positionals;
  if (!modelDir || positionals.length > 1 || !flags.from)
    throw new UsageError('calibrate: give one model folder and --from <cv-clips.json>.');
  const below = (flags['uncertain-below'] as number | undefined) ?? UNCERTAIN_BELOW;
  if (!(below >= 0 && below <= 1))
    throw new UsageError(`calibrate: --uncertain-below must be in [0, 1], got ${below}.`);
  const folds = readHeldOut(flags.from as string);
  const loco = flags.across === undefined ? undefined : readHeldOut(flags.across as string);
  await startBackend(flags.backend);
  const model = await EmotionModel.load(modelDir);
  if (loco && !model.familiarity)
    throw new UsageError(
      `calibrate --across: ${modelDir} has no familiarity detector (train fits one since the detector was added; EmotionModel.fitFamiliarity fits one to an older model).`,
    );
  const report = foldCalibration(folds, model.labels, below);
  const across = loco
    ? acrossCalibration(folds, loco, { temperature: report.temperature, uncertainBelow: below })
    : undefined;
  if (flags.json)
    console.log(JSON.stringify({ ...report, uncertainBelow: below, ...(across ? { across } : {}) }));
  else {
    console.log(formatCalibration(report, below));
    if (across) console.log(formatAcross(across));
  }
  if (!flags['dry-run']) {
    const dropped = model.calibration?.unfamiliar !== undefined;
    const others = across ? across.otherCorpus.reduce((n, f) => n + f.clips, 0) : 0;
    model.setCalibration({
      temperature: report.temperature,
      uncertainBelow: below,
      fittedOn: `${report.clips} held-out clips of ${report.folds} cross-validation folds${across ? `; unfamiliar audio: ${others} clips of leave one corpus out` : ''}`,
      ...(across ? { unfamiliar: { above: across.above, temperature: across.temperature } } : {}),
    });
    await model.save(modelDir);
    if (!flags.json)
      console.log(
        `saved the calibration into ${modelDir}${!across && dropped ? ' (without its earlier threshold for unfamiliar audio: give --across to learn one)' : ''}`,
      );
  }
  model.dispose();
  return 0;
}
