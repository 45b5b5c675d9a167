/**
 * The `speech-emotion` command.
 * @internal
 */
import { readFileSync } from 'node:fs';
import { SpeechEmotionError } from './errors.js';

const PLANNED = ['predict', 'extract', 'train', 'evaluate', 'inspect'];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

const HELP = `speech-emotion — speech emotion recognition

Usage:
  speech-emotion --help       show this help
  speech-emotion --version    print the version

The commands predict, extract, train, evaluate and inspect are not in this version yet.
Use the library API meanwhile: import { extractMfcc, decodeWav } from 'speech-emotion'.

Exit codes: 0 success, 2 usage error.`;

export function main(argv: string[]): number {
  const [cmd] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(version());
    return 0;
  }
  const why = PLANNED.includes(cmd)
    ? `the '${cmd}' command is not available in speech-emotion ${version()} yet`
    : `unknown command '${cmd}'`;
  console.error(`speech-emotion: ${why}. Run 'speech-emotion --help'.`);
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  const msg = e instanceof SpeechEmotionError ? e.message : String((e as Error)?.message ?? e);
  console.error(`speech-emotion: ${msg}`);
  process.exitCode = 1;
}
