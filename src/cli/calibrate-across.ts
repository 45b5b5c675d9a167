// speech-emotion calibrate --across: where unfamiliar audio starts and the temperature it gets,
// learnt from the held-out clips of both protocols: the speaker folds (--from) and leave one corpus
// out (--across), each clip with its fold model's familiarity distance. The figures of both
// protocols before and after are cross-fitted. Measured first in docs/recipes/results (the
// embedding detector, 2026-12-05): this is that measurement's "step" form at the 95th percentile.
import { applyTemperature, expectedCalibrationError, fitTemperature } from '../model/calibration.js';
import { UNFAMILIAR_QUANTILE, quantile } from '../model/familiarity.js';
import { UsageError } from './args.js';
import type { HeldOutFold } from './calibrate.js';

/** A held-out clip: distance, the model's and the first member's scores over its fold's labels, truth. */
interface Clip {
  distance: number;
  probs: number[];
  member: number[];
  truth: number;
}

/** One group of clips' figures: the calibration error and uncertain share without and with the detector. */
export interface AcrossFigures {
  /** 'speaker folds', or the leave-one-corpus-out fold's name. */
  name: string;
  clips: number;
  /** Share of the clips beyond the threshold. */
  unfamiliarShare: number;
  eceBefore: number;
  eceAfter: number;
  /** Share whose top score is under `uncertainBelow`, without and with. */
  uncertainBefore: number;
  uncertainAfter: number;
}

/** What `calibrate --across` learnt and measured. */
export interface AcrossReport {
  /** Distance beyond which audio is unfamiliar: the quantile of the speaker folds' held-out distances. */
  above: number;
  /** The temperature unfamiliar audio gets: the model's times the first member's T2 / T1. */
  temperature: number;
  /** The first member's temperature on the speaker folds (T1) and on the other corpus beyond the threshold (T2). */
  memberTemperatures: { familiar: number; unfamiliar: number };
  quantile: number;
  /** The speaker folds, with the model's scores. */
  speakerFolds: AcrossFigures;
  /** Each direction of leave one corpus out, with the first member's scores (what that run trains). */
  otherCorpus: AcrossFigures[];
}

/** Each fold's clips, scores restricted to the fold's labels its clips carry; `what` names the file in errors. */
function clipsOf(folds: HeldOutFold[], what: string): Clip[][] {
  return folds.map((f) => {
    const carried = f.labels.filter((l) => f.clips.some((c) => c.label === l));
    const at = carried.map((l) => f.labels.indexOf(l));
    return f.clips
      .filter((c) => carried.includes(c.label))
      .map((c) => {
        if (typeof c.distance !== 'number')
          throw new UsageError(
            `calibrate --across: ${what} has no familiarity distances (train writes them into cv-clips.json since the detector was added: train again, or give each clip its fold model's familiarityOf).`,
          );
        const member = c.memberProbs ?? c.probs;
        return {
          distance: c.distance,
          probs: at.map((j) => c.probs[j]),
          member: at.map((j) => member[j]),
          truth: carried.indexOf(c.label),
        };
      });
  });
}

const fitOn = (clips: Clip[], scores: 'probs' | 'member') =>
  fitTemperature(
    clips.map((c) => c[scores]),
    clips.map((c) => c.truth),
  );

/**
 * The threshold and the first member's two temperatures, from speaker-fold clips (`held`) and
 * other-corpus clips (`across`). With no other-corpus clip beyond the threshold, T2 = T1.
 */
function learn(held: Clip[], across: Clip[], q: number) {
  const above = quantile(
    held.map((c) => c.distance),
    q,
  );
  const familiar = fitOn(held, 'member');
  const beyond = across.filter((c) => c.distance > above);
  return { above, familiar, unfamiliar: beyond.length ? fitOn(beyond, 'member') : familiar };
}

/** A group's figures, each clip scored at temperature `before(i)` and `after(i)`. */
function figures(
  name: string,
  clips: Clip[],
  scores: 'probs' | 'member',
  flagged: (i: number) => boolean,
  before: (i: number) => number,
  after: (i: number) => number,
  uncertainBelow: number,
): AcrossFigures {
  const truth = clips.map((c) => c.truth);
  const scaled = (t: (i: number) => number) => clips.map((c, i) => applyTemperature(c[scores], t(i)));
  const [b, a] = [scaled(before), scaled(after)];
  const unsure = (q: Float64Array[]) => q.filter((p) => Math.max(...p) < uncertainBelow).length / q.length;
  return {
    name,
    clips: clips.length,
    unfamiliarShare: clips.filter((_, i) => flagged(i)).length / clips.length,
    eceBefore: expectedCalibrationError(b, truth),
    eceAfter: expectedCalibrationError(a, truth),
    uncertainBefore: unsure(b),
    uncertainAfter: unsure(a),
  };
}

/**
 * Learns where unfamiliar audio starts and its temperature: the threshold is the `q`-quantile of the
 * speaker folds' held-out distances; the first member's temperature on the other corpus's clips
 * beyond it over its temperature on the speaker folds, times the model's `temperature`, is the
 * temperature of unfamiliar audio. The figures are cross-fitted: each speaker fold is scored with
 * what the other folds (and all of `loco`) teach, each direction of `loco` with what the speaker
 * folds and the other direction teach.
 */
export function acrossCalibration(
  speaker: HeldOutFold[],
  loco: HeldOutFold[],
  options: { temperature: number; uncertainBelow: number; quantile?: number },
): AcrossReport {
  const { temperature, uncertainBelow, quantile: q = UNFAMILIAR_QUANTILE } = options;
  if (speaker.length < 2 || loco.length < 2)
    throw new UsageError(
      'calibrate --across: give the speaker folds (--from, two folds or more) and both directions of leave one corpus out (--across).',
    );
  const folds = clipsOf(speaker, '--from');
  const directions = clipsOf(loco, '--across');
  const held = folds.flat();
  const final = learn(held, directions.flat(), q);
  // The speaker folds, the model's scores: fold i with T1 and the detector learnt without it.
  const s = folds.flatMap((clips, i) => {
    const others = folds.filter((_, j) => j !== i).flat();
    const t1 = fitOn(others, 'probs');
    const l = learn(others, directions.flat(), q);
    return clips.map((c) => ({ c, t1, above: l.above, t2: (t1 * l.unfamiliar) / l.familiar }));
  });
  const speakerFolds = figures(
    'speaker folds',
    s.map((x) => x.c),
    'probs',
    (i) => s[i].c.distance > s[i].above,
    (i) => s[i].t1,
    (i) => (s[i].c.distance > s[i].above ? s[i].t2 : s[i].t1),
    uncertainBelow,
  );
  const otherCorpus = directions.map((clips, d) => {
    const l = learn(held, directions.filter((_, j) => j !== d).flat(), q);
    const flagged = (i: number) => clips[i].distance > l.above;
    return figures(
      loco[d].name,
      clips,
      'member',
      flagged,
      () => l.familiar,
      (i) => (flagged(i) ? l.unfamiliar : l.familiar),
      uncertainBelow,
    );
  });
  return {
    above: final.above,
    temperature: (temperature * final.unfamiliar) / final.familiar,
    memberTemperatures: { familiar: final.familiar, unfamiliar: final.unfamiliar },
    quantile: q,
    speakerFolds,
    otherCorpus,
  };
}

/** The report as lines of text. */
export function formatAcross(r: AcrossReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const line = (f: AcrossFigures) =>
    `  ${f.name} (${f.clips} clips): ${pct(f.unfamiliarShare)} unfamiliar; ECE ${pct(f.eceBefore)} → ${pct(f.eceAfter)}; uncertain ${pct(f.uncertainBefore)} → ${pct(f.uncertainAfter)}`;
  return [
    `unfamiliar audio: familiarity distance above ${r.above.toFixed(3)} (the ${Math.round(100 * r.quantile)}th percentile of held-out speakers'), temperature ${r.temperature.toFixed(3)} (first member: ${r.memberTemperatures.familiar.toFixed(3)} on held-out speakers, ${r.memberTemperatures.unfamiliar.toFixed(3)} on the other corpus beyond the threshold)`,
    'without → with the detector (cross-fitted):',
    line(r.speakerFolds),
    ...r.otherCorpus.map((f) => `${line(f)} (first member's scores)`),
  ].join('\n');
}
