/**
 * The `speech-emotion` command.
 * @internal
 */
import { readFileSync } from 'node:fs';
import { SpeechEmotionError } from '../errors.js';
import { UsageError } from './args.js';
import { CALIBRATE_HELP, runCalibrate } from './calibrate.js';
import { EVALUATE_HELP, runEvaluate } from './evaluate.js';
import { EXTRACT_HELP, MERGE_HELP, runExtract, runMerge } from './extract.js';
import { INSPECT_HELP, runInspect } from './inspect.js';
import { removePendingTemps } from './io.js';
import { PREDICT_HELP, runPredict } from './predict.js';
import { SPLIT_HELP, runSplit } from './split.js';
import { TRAIN_HELP, runTrain } from './train.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const HELP = `speech-emotion — speech emotion recognition

Usage:
  speech-emotion inspect <file|dir> [--plot out.png]     levels, trimmed interval and plots of a
                                                        recording, or a dataset's labels and speakers
  speech-emotion extract <dirs…> --out <features.csv>   extract features from dataset folders
  speech-emotion merge <parts…> --out <all.csv>          combine shards of extract --shard
  speech-emotion split <dirs…> [--test-speakers a,b | --folds k]   speaker-independent splits
  speech-emotion train <dirs…> --out <modelDir>          train a model (report in the folder)
  speech-emotion evaluate <modelDir> <dirs…> [--json]    score a model on held-out speakers
  speech-emotion calibrate <modelDir> --from cv-clips.json   learn a temperature for its scores
  speech-emotion predict <files…> [--timeline]           the emotion of recordings (bundled model,
                                                        or --model <modelDir>)
  speech-emotion <command> --help                        help and examples for a command
  speech-emotion --version

Exit codes: 0 success; 1 failure (or, with --strict, files that could not be used);
2 usage error; 130 interrupted.`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  inspect: { run: runInspect, help: INSPECT_HELP },
  extract: { run: runExtract, help: EXTRACT_HELP },
  merge: { run: runMerge, help: MERGE_HELP },
  split: { run: runSplit, help: SPLIT_HELP },
  train: { run: runTrain, help: TRAIN_HELP },
  evaluate: { run: runEvaluate, help: EVALUATE_HELP },
  calibrate: { run: runCalibrate, help: CALIBRATE_HELP },
  predict: { run: runPredict, help: PREDICT_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(rest[0] && COMMANDS[rest[0]] ? COMMANDS[rest[0]].help : HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(version());
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    console.error(`speech-emotion: unknown command '${cmd}'. Run 'speech-emotion --help'.`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`speech-emotion ${e.message} Run 'speech-emotion ${cmd} --help'.`);
      return 2;
    }
    if (e instanceof SpeechEmotionError) {
      console.error(`speech-emotion ${cmd}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.on('SIGINT', () => {
  // Commands that handle Ctrl-C themselves install their own listener first.
  if (process.listenerCount('SIGINT') > 1) return;
  removePendingTemps();
  process.exit(130);
});

// Output piped into a reader that stops early (`… | head`): stop quietly, as other tools do, instead
// of a stack trace for the write that found the pipe closed.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  removePendingTemps();
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    removePendingTemps();
    console.error(`speech-emotion: internal error: ${(e as Error)?.stack ?? e}`);
    process.exitCode = 1;
  },
);
