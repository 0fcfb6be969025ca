/**
 * Code that sends readers to a document must send them to one in this repository: every
 * `*.md` (or docs/ image) named in a source file exists, relative to the repository root or to
 * the file itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'results' ? [] : files(path);
    return /\.(ts|js|mjs|sh)$/.test(name) ? [path] : [];
  });
}

it('every document a source file refers to exists', () => {
  const sources = ['apps', 'libs', 'workflows', 'test', 'scripts', 'bench', 'migrations', 'deploy'].flatMap((d) => files(join(ROOT, d)));
  expect(sources.length).toBeGreaterThan(100);
  const missing: string[] = [];
  let references = 0;
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?<![\w/.-])((?:\.\.?\/|[\w-]+\/)*[\w-]+\.md|docs\/[\w./-]+\.png)\b/g)) {
      references += 1;
      const ref = m[1];
      if (!existsSync(join(ROOT, ref)) && !existsSync(join(dirname(file), ref))) missing.push(`${file.slice(ROOT.length + 1)}: ${ref}`);
    }
  }
  expect(references).toBeGreaterThan(5);
  expect(missing).toEqual([]);
});
