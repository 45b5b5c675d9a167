// The house rules of docs/architecture.md, checked: one idea per file (no source file over about
// 450 lines) and short functions (none over about 60 lines unless its doc comment says why); and
// no script, benchmark or example importing a file that has gone.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/data.js';

const SRC = join(ROOT, 'src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** Functions and methods with a body, their length in lines, and their doc comment. */
function functionsOf(file: string): { name: string; line: number; lines: number; doc: string }[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { name: string; line: number; lines: number; doc: string }[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const end = sf.getLineAndCharacterOfPosition(n.end).line;
      const doc = (ts.getLeadingCommentRanges(text, n.getFullStart()) ?? [])
        .map((r) => text.slice(r.pos, r.end))
        .join('\n');
      out.push({ name: n.name?.getText(sf) ?? '(anonymous)', line: start + 1, lines: end - start + 1, doc });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('house rules (docs/architecture.md)', () => {
  it('no source file under src/ is longer than 460 lines', () => {
    const long = files(SRC)
      .map((f) => ({ f: relative(ROOT, f), n: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.n > 460);
    expect(long).toEqual([]);
  });

  it('no function is longer than 70 lines unless its doc comment says why ("on purpose", "hot")', () => {
    const long = files(SRC)
      .flatMap((f) => functionsOf(f).map((fn) => ({ ...fn, f: relative(ROOT, f) })))
      .filter((fn) => fn.lines > 70 && !/on purpose|hot (loop|path)/i.test(fn.doc))
      .map((fn) => `${fn.f}:${fn.line} ${fn.name} (${fn.lines} lines)`);
    expect(long).toEqual([]);
  });

  it('every relative import of the scripts, benchmarks and examples names a file that exists', () => {
    const mjs = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist'
          ? mjs(join(dir, e.name))
          : e.name.endsWith('.mjs')
            ? [join(dir, e.name)]
            : [],
      );
    const missing = ['scripts', 'bench', 'examples'].flatMap((d) =>
      mjs(join(ROOT, d)).flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)]
          .map((m) => m[1])
          // The build's output (dist/) exists only after `npm run build`.
          .filter((p) => !/(^|\/)dist\//.test(p) && !existsSync(resolve(dirname(f), p)))
          .map((p) => `${relative(ROOT, f)} imports ${p}`),
      ),
    );
    expect(missing).toEqual([]);
  });
});
