/**
 * Writes the API's OpenAPI document to docs/openapi.json (or --check: exits 1 when the committed
 * file differs). Needs no database and no Temporal. The console's API types are generated from
 * this file, so a changed API shows up here first.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { openApiDocumentOffline } from '../apps/api/src/openapi';

// scripts/ under the repository, or dist/scripts/ once compiled (tsx cannot run this: Nest and
// @nestjs/swagger need the decorator metadata that only tsc emits)
const ROOT = basename(resolve(__dirname, '..')) === 'dist' ? resolve(__dirname, '..', '..') : resolve(__dirname, '..');
export const OPENAPI_FILE = resolve(ROOT, 'docs', 'openapi.json');

/** The document as committed: stable key order from the code, two-space JSON, final newline. */
export async function renderOpenApi(): Promise<string> {
  return `${JSON.stringify(await openApiDocumentOffline(), null, 2)}\n`;
}

async function main(): Promise<void> {
  const text = await renderOpenApi();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // missing counts as different
    }
    if (committed !== text) {
      console.error(`${OPENAPI_FILE} is out of date: run npm run openapi`);
      process.exit(1);
    }
    console.log(`${OPENAPI_FILE} is up to date`);
    return;
  }
  writeFileSync(OPENAPI_FILE, text);
  console.log(`wrote ${OPENAPI_FILE}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error('openapi failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
