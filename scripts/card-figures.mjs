// The model card's figures. Two uses:
//
//   node scripts/card-figures.mjs --from <train-out> [--loco <loco-out>] [--out models/default]
//     After `speech-emotion train … --recipe default --folds dev-folds.json --out <train-out>` (what
//     `npm run train:default` runs): writes models/default from that folder — the model, metrics.json
//     (cross-validation per corpus from report.json and cv-clips.json, and the regression split),
//     the pooled confusion matrices, the calibration train learnt — and then the card's figures
//     section. With --loco, the leave-one-corpus-out run of the recipe (`train … --folds corpus
//     --cv-only --out <loco-out>`) is added: UA, recall per class and a confusion matrix per
//     direction; the figures of `calibrate --across` too, when it wrote <train-out>/calibrate-across.json.
//     The folder is replaced atomically; the card's prose (README.md) is kept.
//
//   node scripts/card-figures.mjs [models/default] [--unfamiliar <calibrate --across --json output>]
//     Rewrites only the figures section of the card (between `<!-- figures -->` and
//     `<!-- /figures -->`) from metrics.json, so the card always states what was measured; with
//     --unfamiliar, first puts those figures into metrics.json.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FOLDS_FILE, devItems, openLibrary } from './dev-data.mjs';

export function figuresMarkdown(m, folds) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const cv = m.crossValidation;
  const lines = [
    `Speaker-independent cross-validation on \`dev-folds.json\` (recipe \`${m.recipe.name}\`): fold *i*`,
    'holds out RAVDESS fold *i* and, for *i* ≤ 3, SAVEE speaker *i*; every model trains on all other',
    `speakers of both corpora${(m.recipe.ensemble ?? 1) > 1 ? `, and each fold's predictions average ${m.recipe.ensemble} members trained with different seeds, as the shipped model does` : ''}.`,
    'Unweighted accuracy (UA, mean per-class recall), chance 12.5% (RAVDESS, 8 classes) and 14.3%',
    '(SAVEE, 7 classes):',
    '',
    '| fold | held-out RAVDESS actors | RAVDESS UA | held-out SAVEE speaker | SAVEE UA |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const f of cv.folds)
    lines.push(
      `| ${f.fold} | ${folds.ravdess[f.fold].join(', ')} | ${pct(f.ravdess)} | ${f.saveeSpeaker ? (folds.savee[f.saveeSpeaker]?.join(', ') ?? f.saveeSpeaker) : '—'} | ${f.savee === undefined ? '—' : pct(f.savee)} |`,
    );
  lines.push(
    `| **mean ± std** | | **${pct(cv.ravdessUA)} ± ${pct(cv.ravdessStd)}** | | **${pct(cv.saveeUA)} ± ${pct(cv.saveeStd)}** |`,
    '',
    'Recall per class, folds pooled:',
    '',
    '| | neutral | calm | happy | sad | angry | fearful | disgust | surprised |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const ds of ['ravdess', 'savee']) {
    const r = cv.perClassRecall?.[ds] ?? {};
    const cells = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'].map((l) =>
      r[l] === undefined ? '—' : pct(r[l]),
    );
    lines.push(`| ${ds === 'ravdess' ? 'RAVDESS' : 'SAVEE'} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    '![RAVDESS confusion matrix, cross-validation](confusion-ravdess.svg)',
    '![SAVEE confusion matrix, cross-validation](confusion-savee.svg)',
  );
  if (m.leaveOneCorpusOut) lines.push('', ...locoMarkdown(m.leaveOneCorpusOut));
  if (m.calibration) lines.push('', ...calibrationMarkdown(m.calibration));
  if (m.unfamiliar) lines.push('', ...unfamiliarMarkdown(m.unfamiliar));
  lines.push(
    '',
    'Regression split (seen in training; CI checks the shipped model still scores this, minus 2 points):',
    `RAVDESS actors ${m.regression.speakers.ravdess.join(', ')} and SAVEE ${m.regression.speakers.savee.join(', ')}, ${m.regression.count} clips: UA ${pct(m.regression.unweightedAccuracy)}.`,
    '',
    `Training: ${m.trainingRows} rows (each recording and ${m.recipe.audioAugment?.copies ?? 0} perturbed ${(m.recipe.audioAugment?.copies ?? 0) === 1 ? 'copy' : 'copies'}), wasm backend, ${threadsLine(m)}, on a 2-core x86-64 machine with Node ${m.node}. ${timeLine(m, cv)}`,
  );
  return lines.join('\n');
}

/** How the members were trained: one thread each, side by side, or data-parallel. */
function threadsLine(m) {
  if ((m.concurrent ?? 1) > 1)
    return `each member on one thread, ${m.concurrent} trainings at a time (the folds' members and the final model's)`;
  return (m.workers ?? 1) === 1 ? 'one thread' : `${m.workers} threads (data-parallel)`;
}

/** How long the cross-validation and the final model took. */
function timeLine(m, cv) {
  if ((m.concurrent ?? 1) > 1)
    return `Cross-validation done after ${cv.minutes.toFixed(0)} min; the final model (trained beside the folds) and files after ${(cv.minutes + m.minutes).toFixed(0)} min (\`${m.command}\`).`;
  return `Cross-validation: ${cv.minutes.toFixed(0)} min${cv.runs ? ` (${cv.runs.length} runs of \`scripts/cv.mjs\` over two processes, minutes summed)` : ''}; final model${(m.recipe.ensemble ?? 1) > 1 ? ` (${m.recipe.ensemble} members, training minutes summed)` : ''} and files: ${m.minutes.toFixed(0)} min (\`${m.command}\`${cv.runs && !m.command.includes('--cv-from') ? ` with \`--cv-from ${cv.runs.join(',')}\`` : ''}).`;
}

function locoMarkdown(loco) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const labels = loco.directions[0].labels;
  const lines = [
    `Leave one corpus out (\`${loco.command}\`, ${loco.members === 1 ? `one member of the recipe, seed ${loco.seed}` : `${loco.members} members`}): trained on one corpus, tested on all of the other, scored on the ${labels.length} emotions both carry (predictions restricted to them; chance ${pct(1 / labels.length)}):`,
    '',
    `| trained on | tested on | UA | accuracy | macro F1 | ${labels.join(' | ')} |`,
    `| --- | --- | --- | --- | --- | ${labels.map(() => '---').join(' | ')} |`,
  ];
  for (const d of loco.directions)
    lines.push(
      `| ${d.trainedOn} | all of ${d.testedOn} (${d.count}) | **${pct(d.unweightedAccuracy)}** | ${pct(d.accuracy)} | ${pct(d.macroF1)} | ${labels.map((l) => pct(d.recall[l])).join(' | ')} |`,
    );
  lines.push('', '(the per-class columns are recall)', '');
  for (const d of loco.directions)
    lines.push(
      `![${d.trainedOn} → ${d.testedOn} confusion matrix](confusion-loco-${d.testedOn.toLowerCase()}.svg)`,
    );
  return lines;
}

function calibrationMarkdown(c) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  return [
    `Calibration: temperature ${c.temperature.toFixed(2)}, learnt on the ${c.clips} held-out clips of the cross-validation above. Expected calibration error (15 bins) ${pct(c.eceBefore)} before, **${pct(c.eceAfter)} after** (cross-fitted: each fold scaled with the temperature learnt on the other folds). With it, ${pct(c.uncertainShare)} of those clips are marked \`uncertain\` (top score under ${c.uncertainBelow}); their accuracy is ${pct(c.accuracyUncertain)}, against ${pct(c.accuracyCertain)} for the rest.`,
  ];
}

/** What `calibrate --across` learnt and measured (metrics.json's `unfamiliar`). */
function unfamiliarMarkdown(u) {
  const pct = (x) => `${(100 * x).toFixed(1)}%`;
  const row = (name, f, scores) =>
    `| ${name} | ${f.clips} | ${pct(f.unfamiliarShare)} | ${pct(f.eceBefore)} → **${pct(f.eceAfter)}** | ${pct(f.uncertainBefore)} → ${pct(f.uncertainAfter)} | ${scores} |`;
  const corpus = (name) =>
    name.endsWith('ravdess') ? 'RAVDESS, trained on SAVEE' : 'SAVEE, trained on RAVDESS';
  return [
    `Unfamiliar audio: a prediction is marked \`unfamiliar\` when the recording lies further from the training recordings than ${Math.round(100 * u.quantile)}% of held-out speakers do (familiarity distance above ${u.above.toFixed(3)}, on the first member's embedding); its scores then get temperature ${u.temperature.toFixed(2)} instead of ${u.baseTemperature.toFixed(2)}, learnt on the clips of the other corpus beyond that distance (\`speech-emotion calibrate --across\`). Expected calibration error without → with it, cross-fitted (each fold or direction scored with what the others taught):`,
    '',
    '| held-out clips | n | unfamiliar | ECE | uncertain (top score < 0.5) | scores |',
    '| --- | --- | --- | --- | --- | --- |',
    row('speaker folds', u.speakerFolds, 'the model'),
    ...u.otherCorpus.map((f) => row(corpus(f.name), f, "first member's (leave one corpus out)")),
  ];
}

export function writeCardFigures(dir) {
  const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  const folds = m.folds ?? JSON.parse(readFileSync(FOLDS_FILE, 'utf8'));
  const path = join(dir, 'README.md');
  const card = readFileSync(path, 'utf8');
  const re = /<!-- figures -->[\s\S]*<!-- \/figures -->/;
  if (!re.test(card)) throw new Error(`${path} has no <!-- figures --> … <!-- /figures --> section`);
  writeFileSync(path, card.replace(re, `<!-- figures -->\n${figuresMarkdown(m, folds)}\n<!-- /figures -->`));
}

const EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
const argmax = (p) => p.reduce((b, v, i) => (v > p[b] ? i : b), 0);

/** metrics.json's cross-validation section from a `train --folds` run's report and per-clip probabilities. */
async function crossValidationOf(from, lib) {
  const report = JSON.parse(readFileSync(join(from, 'report.json'), 'utf8'));
  const clips = JSON.parse(readFileSync(join(from, 'cv-clips.json'), 'utf8'));
  const cv = report.crossValidation;
  const per = cv.perDataset ?? {};
  const perClassRecall = {};
  const pooled = {};
  for (const ds of ['ravdess', 'savee']) {
    const all = clips.folds.flatMap((f) =>
      f.clips
        .filter((c) => c.dataset === ds)
        .map((c) => ({ truth: c.label, pred: f.labels[argmax(c.probs)] })),
    );
    // All eight labels: a SAVEE clip can be predicted "calm" though SAVEE has none.
    const e = lib.evaluatePredictions(
      all.map((c) => c.truth),
      all.map((c) => c.pred),
      EMOTIONS,
    );
    pooled[ds] = e;
    perClassRecall[ds] = Object.fromEntries(
      Object.entries(e.perClass)
        .filter(([, m]) => m.support > 0)
        .map(([l, m]) => [l, m.recall]),
    );
  }
  return {
    recipe: report.recipe.name,
    members: report.recipe.ensemble,
    ravdessUA: per.ravdess?.meanUA,
    ravdessStd: per.ravdess?.stdUA,
    saveeUA: per.savee?.meanUA ?? null,
    saveeStd: per.savee?.stdUA ?? null,
    minutes: cv.minutes,
    folds: cv.folds.map((f) => ({
      fold: f.name,
      saveeSpeaker: f.datasets?.savee === undefined ? null : f.name,
      ...f.datasets,
    })),
    perClassRecall,
    pooled,
  };
}

/** models/default from a `speech-emotion train --recipe default --folds dev-folds.json` output folder. */
/** metrics.json's leave-one-corpus-out section from a `train --folds corpus --cv-only` run. */
export function locoOf(dir) {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  const name = { ravdess: 'RAVDESS', savee: 'SAVEE' };
  const directions = report.crossValidation.folds.map((f) => {
    const tested = f.name.replace(/^corpus\//, '');
    const e = f.evaluation;
    return {
      trainedOn: Object.keys(name)
        .filter((d) => d !== tested)
        .map((d) => name[d])
        .join(' + '),
      testedOn: name[tested] ?? tested,
      count: e.count,
      labels: e.confusion.labels,
      unweightedAccuracy: e.unweightedAccuracy,
      accuracy: e.accuracy,
      macroF1: e.macroF1,
      recall: Object.fromEntries(Object.entries(e.perClass).map(([l, c]) => [l, c.recall])),
      evaluation: e,
    };
  });
  // RAVDESS-trained first: the direction closest to a user's unseen voice.
  directions.sort((a, b) => (a.trainedOn === 'RAVDESS' ? -1 : b.trainedOn === 'RAVDESS' ? 1 : 0));
  return {
    recipe: report.recipe.name,
    members: report.recipe.ensemble,
    seed: report.recipe.seed,
    command: `speech-emotion train <ravdess> <savee> --recipe ${report.recipe.name.split('+')[0]} --folds corpus --cv-only`,
    directions,
  };
}

/** metrics.json's `unfamiliar`: what `calibrate --across` wrote beside the model, if it ran. */
function unfamiliarOf(from) {
  const file = join(from, 'calibrate-across.json');
  if (!existsSync(file)) return {};
  const { temperature, across } = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1));
  return across ? { unfamiliar: { ...across, baseTemperature: temperature } } : {};
}

async function assemble(from, out, locoDir) {
  const lib = await openLibrary();
  const folds = JSON.parse(readFileSync(FOLDS_FILE, 'utf8'));
  const report = JSON.parse(readFileSync(join(from, 'report.json'), 'utf8'));
  const crossValidation = await crossValidationOf(from, lib);
  // The regression split: a fixed part of the development data (seen in training). CI checks that the
  // shipped model still scores what it scored here, so a change to the feature code cannot silently
  // degrade it. It says nothing about unseen speakers; the cross-validation does.
  const regressionSpeakers = { ravdess: folds.ravdess.fold5, savee: folds.savee.fold3 };
  const items = await devItems(lib);
  const model = await lib.EmotionModel.load(from);
  const { rows } = await lib.itemRows(
    items.filter((it) => regressionSpeakers[it.dataset]?.includes(it.speaker)),
    model.featureSpec,
  );
  const regression = await model.evaluate(rows);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of ['model.json', 'weights.bin']) cpSync(join(from, f), join(tmp, f));
  const metrics = {
    recipe: report.recipe,
    crossValidation,
    regression: {
      speakers: regressionSpeakers,
      unweightedAccuracy: regression.unweightedAccuracy,
      accuracy: regression.accuracy,
      count: regression.count,
      note: 'seen in training; a regression guard, not a generalisation estimate',
    },
    folds,
    trainingRows: report.trainCount,
    workers: report.training?.workers ?? 1,
    concurrent: report.concurrent ?? 1,
    // The final model's share; with trainings side by side, what came after the cross-validation.
    minutes: report.minutes - report.crossValidation.minutes,
    command: 'npm run train:default',
    node: process.version,
    ...(report.calibration ? { calibration: report.calibration } : {}),
    ...unfamiliarOf(from),
    ...(locoDir ? { leaveOneCorpusOut: locoOf(locoDir) } : {}),
  };
  writeFileSync(join(tmp, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  for (const ds of ['ravdess', 'savee'])
    for (const ext of ['png', 'svg'])
      await lib.savePlot(
        lib.plotConfusion(
          crossValidation.pooled[ds],
          `${ds === 'ravdess' ? 'RAVDESS' : 'SAVEE'}: cross-validation, folds pooled`,
        ),
        join(tmp, `confusion-${ds}.${ext}`),
      );
  for (const d of metrics.leaveOneCorpusOut?.directions ?? [])
    for (const ext of ['png', 'svg'])
      await lib.savePlot(
        lib.plotConfusion(d.evaluation, `${d.trainedOn} → all of ${d.testedOn}: leave one corpus out`),
        join(tmp, `confusion-loco-${d.testedOn.toLowerCase()}.${ext}`),
      );
  if (existsSync(join(out, 'README.md'))) cpSync(join(out, 'README.md'), join(tmp, 'README.md'));
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  if (existsSync(join(out, 'README.md'))) writeCardFigures(out);
  console.log(
    `wrote ${out}: cross-validated UA RAVDESS ${(100 * crossValidation.ravdessUA).toFixed(1)}%, SAVEE ${(100 * crossValidation.saveeUA).toFixed(1)}%; regression split UA ${(100 * regression.unweightedAccuracy).toFixed(1)}%`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: {
      from: { type: 'string' },
      loco: { type: 'string' },
      out: { type: 'string' },
      unfamiliar: { type: 'string' },
    },
    allowPositionals: true,
  });
  const out = resolve(
    values.out ?? positionals[0] ?? join(fileURLToPath(new URL('..', import.meta.url)), 'models/default'),
  );
  if (values.from) await assemble(resolve(values.from), out, values.loco && resolve(values.loco));
  else {
    // --unfamiliar <calibrate --across --json output>: those figures into an existing metrics.json.
    if (values.unfamiliar) {
      const file = join(out, 'metrics.json');
      const metrics = JSON.parse(readFileSync(file, 'utf8'));
      const { temperature, across } = JSON.parse(
        readFileSync(values.unfamiliar, 'utf8').trim().split('\n').at(-1),
      );
      writeFileSync(
        file,
        `${JSON.stringify({ ...metrics, unfamiliar: { ...across, baseTemperature: temperature } }, null, 2)}\n`,
      );
    }
    writeCardFigures(out);
  }
}
