/**
 * The layout's "one place" rules (docs/design.md, Layout), checked on the source tree:
 * SQL only in libs/persistence (and migrations), Worker.create only in the worker factory, and
 * Temporal calls that start, reset, cancel, signal or update an import run only in the run launcher
 * (in test/, import runs start only through test/support/start-import.ts, on the launcher's options).
 * Each detector is first shown to catch a sample, so a rule cannot pass by matching nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts)$/.test(name) && !/\.(spec|e2e-spec)\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every TypeScript file under `dir`, spec files included. */
function allTsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name.startsWith('.') ? [] : allTsFiles(path);
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function offenders(dirs: string[], allowed: (file: string) => boolean, detect: (text: string) => boolean): string[] {
  return dirs
    .flatMap((d) => sourceFiles(join(ROOT, d)))
    .map((f) => relative(ROOT, f))
    .filter((f) => !allowed(f) && detect(readFileSync(join(ROOT, f), 'utf8')));
}

/** A SQL statement in the text (statements are written in upper case here), or a raw query call with literal text. */
export function containsSql(text: string): boolean {
  return (
    /\b(SELECT\s[^;]{0,400}?\bFROM\s+[a-z_]|INSERT\s+INTO\s|UPDATE\s+[a-z_]+\s+(?:[a-z]+\s+)?SET\s|DELETE\s+FROM\s|CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s|ALTER\s+TABLE\s|TRUNCATE\s|SET\s+LOCAL\s|pg_advisory|BEGIN'|COMMIT')/.test(text) ||
    /\.query\s*(?:<[^>(]*>)?\(\s*[`'"]/.test(text)
  );
}

const WORKER_CREATE = /\bWorker\.create\s*\(/;
/** Client calls that start or steer a workflow run (the schedule's start action included). */
const RUN_CONTROL = /\.workflow\s*\.(?:start|execute|signalWithStart)\s*\(|\.cancel\s*\(\s*\)|\.executeUpdate\s*\(|\.startUpdate\s*\(|\.signal\s*\(|\bresetWorkflowExecution\b|type:\s*'startWorkflow'/;

/** A client call that starts a workflow other than the ping workflow (test/foundation/worker-ping.spec.ts). */
const IMPORT_WORKFLOW_START = /\.workflow\s*\.(?:start|execute|signalWithStart)\s*(?:<[^>(]*>)?\(\s*(?!['"`]pingWorkflow['"`])/;

describe('layout rules', () => {
  it('the detectors catch what they look for', () => {
    expect(containsSql('const q = `SELECT id FROM run WHERE task_id = $1`;')).toBe(true);
    expect(containsSql("await tx.query('BEGIN');")).toBe(true);
    expect(containsSql('await db.query(`UPDATE run r SET phase = $2 WHERE id = $1`);')).toBe(true);
    expect(containsSql('/** Selects the connector and maps it. */ export const x = 1;')).toBe(false);
    expect(WORKER_CREATE.test('return Worker.create({ taskQueue })')).toBe(true);
    expect(RUN_CONTROL.test("await client.workflow.start('importTask', {})")).toBe(true);
    expect(RUN_CONTROL.test("await handle.signal('approveRemovals')")).toBe(true);
    expect(RUN_CONTROL.test('await this.client.workflow\n      .start(IMPORT_TASK_WORKFLOW, {})')).toBe(true);
    expect(IMPORT_WORKFLOW_START.test("await client.workflow.execute('importTask', { args: [input] })")).toBe(true);
    expect(IMPORT_WORKFLOW_START.test('client.workflow.start<ImportWorkflow>(workflowType, options)')).toBe(true);
    expect(IMPORT_WORKFLOW_START.test("client.workflow.execute('pingWorkflow', { args: ['hello'] })")).toBe(false);
  });

  it('SQL is written only in libs/persistence', () => {
    expect(offenders(['apps', 'libs', 'workflows'], (f) => f.startsWith('libs/persistence/'), containsSql)).toEqual([]);
  });

  it('Worker.create appears only in the worker factory', () => {
    expect(offenders(['apps', 'libs', 'workflows', 'scripts', 'bench', 'test'], (f) => f === 'apps/worker/src/import-worker.ts', (t) => WORKER_CREATE.test(t))).toEqual([]);
  });

  it('only the run launcher starts, resets, signals or updates an import run', () => {
    // the webhook delivery launcher starts the one other workflow type (a delivery, never an import run)
    const launchers = new Set(['libs/temporal/src/run-launcher.ts', 'libs/temporal/src/webhook-delivery-launcher.ts']);
    expect(
      offenders(['apps', 'libs', 'scripts', 'bench'], (f) => launchers.has(f) || f.startsWith('apps/console/'), (t) => RUN_CONTROL.test(t)),
    ).toEqual([]);
  });

  it('only the run launcher creates run rows (the repository statements that insert or claim one)', () => {
    const creating = /\.(?:insertStarting|insertResuming|recordPrepared|insertFailed|claimRunning|markPreparing|markResumedPreparing)\s*\(/;
    expect(creating.test('await runs.insertStarting({ taskId }, tx)')).toBe(true);
    expect(offenders(['apps', 'libs', 'scripts', 'bench'], (f) => f === 'libs/temporal/src/run-launcher.ts' || f === 'libs/persistence/src/runs/run-repository.ts', (t) => creating.test(t))).toEqual([]);
  });

  it('tests start an import run in Temporal only through test/support/start-import.ts (the launcher\'s start options)', () => {
    const allowed = new Set(['test/support/start-import.ts', 'test/lint/layout.spec.ts']);
    const starting = allTsFiles(join(ROOT, 'test'))
      .map((f) => relative(ROOT, f))
      .filter((f) => !allowed.has(f) && IMPORT_WORKFLOW_START.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(starting).toEqual([]);
  });
});
