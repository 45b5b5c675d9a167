// Checks every internal link of the generated documentation site (docs/api): each relative href
// must name a file that exists, and each #fragment an element id in that file. Exits 1 listing the
// broken links. Run after `npm run docs` (CI does).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', process.argv[2] ?? 'docs/api');
if (!existsSync(root)) {
  console.error(`check-links: ${root} does not exist; run npm run docs first`);
  process.exit(2);
}
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.html')) files.push(p);
  }
};
walk(root);
const ids = new Map();
const idsOf = (file) => {
  if (!ids.has(file)) {
    const html = existsSync(file) && file.endsWith('.html') ? readFileSync(file, 'utf8') : '';
    ids.set(file, new Set([...html.matchAll(/\b(?:id|name)="([^"]+)"/g)].map((m) => m[1])));
  }
  return ids.get(file);
};
const broken = [];
let checked = 0;
for (const file of files) {
  const html = readFileSync(file, 'utf8');
  for (const [, href] of html.matchAll(/\b(?:href|src)="([^"]+)"/g)) {
    if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(href)) continue; // external: http(s), mailto, data…
    const [path, fragment] = href.split('#');
    const target = path ? resolve(dirname(file), decodeURIComponent(path.split('?')[0])) : file;
    checked++;
    if (!existsSync(target)) broken.push(`${relative(root, file)}: ${href} (no such file)`);
    else if (fragment && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(fragment)))
      broken.push(`${relative(root, file)}: ${href} (no #${fragment} there)`);
  }
}
if (broken.length) {
  console.error(
    `check-links: ${broken.length} broken of ${checked} internal links:\n  ${broken.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(`check-links: ${checked} internal links in ${files.length} pages, none broken`);
