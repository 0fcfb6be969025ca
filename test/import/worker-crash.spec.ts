/**
 * Killing the worker process in the middle of load: the run completes on a fresh worker and
 * the target equals an uninterrupted run's target, with no duplicates and nothing lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import type { RunProgress } from '@app/temporal';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore, targetView } from './support/import-fixtures';

const ROOT = resolve(__dirname, '..', '..');
const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-crash-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const BUNDLE = join(tmpdir(), `import-crash-bundle-${SUFFIX}.js`);

let config: AppConfig;
let ds: DataSource;
let client: Client;
let connection: Connection;
let server: ScimDemoServer;
const children = new Set<ChildProcess>();

/** Starts a worker process and resolves once it polls the task queue. */
function startWorker(loadBatchSize: number, pauseMs: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/import/support/crash-worker.ts'), TASK_QUEUE, BUNDLE, String(loadBatchSize), String(pauseMs)],
    { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolveReady, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolveReady(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${err.slice(-2000)}`)));
  });
}

beforeAll(async () => {
  config = loadConfig();
  ds = createDataSource(config.databaseUrl, { poolSize: 3 });
  await ds.initialize();
  connection = await Connection.connect({ address: config.temporalAddress });
  client = new Client({ connection, namespace: config.temporalNamespace });
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index.ts'), logger: new DefaultLogger('WARN') });
  writeFileSync(BUNDLE, bundle.code);
  server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 60, groups: 8, membersPerUser: 2 } });
}, 180_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.close();
  await connection?.close();
  await ds?.destroy();
  rmSync(BUNDLE, { force: true });
});

it('a worker killed during load loses nothing: the run completes like an uninterrupted one', async () => {
  const box = new SecretBox(config.secretKey);
  const crashed = await seedTargetStore(ds, `${SUFFIX}k`);
  const clean = await seedTargetStore(ds, `${SUFFIX}c`);
  const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH, pageSize: 20 });
  const crashTask = await insertTask(ds, { connectorId, config: identityAndAccessConfig(crashed) });
  const cleanTask = await insertTask(ds, { connectorId, config: identityAndAccessConfig(clean) });

  // small, slow batches so the kill lands between committed batches
  const first = await startWorker(4, 150);
  const workflowId = `import-task-${crashTask}-crash`;
  const handle = await client.workflow.start('importTask', { args: [{ taskId: crashTask, trigger: 'manual' }], taskQueue: TASK_QUEUE, workflowId });

  let loadedAtKill = 0;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows: Array<{ phase: string; n: string }> = await ds.query(
      `SELECT r.phase, (SELECT count(*) FROM run_record rr WHERE rr.run_id = r.id) AS n FROM run r WHERE r.workflow_id = $1`,
      [workflowId],
    );
    if (rows[0]?.phase === 'load' && Number(rows[0].n) > 0) {
      first.kill('SIGKILL');
      loadedAtKill = Number(rows[0].n);
      break;
    }
    if (Date.now() > deadline) throw new Error('the run never reached load');
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(loadedAtKill).toBeGreaterThan(0);
  expect(loadedAtKill).toBeLessThan(68);

  await startWorker(50, 0);
  const result = (await handle.result()) as RunProgress;
  const cleanId = `import-task-${cleanTask}-clean`;
  await client.workflow.execute('importTask', { args: [{ taskId: cleanTask, trigger: 'manual' }], taskQueue: TASK_QUEUE, workflowId: cleanId });

  const run = await runOf(ds, workflowId);
  expect(run.status).toBe('succeeded');
  expect(run.stats).toEqual({ fetched: 68, created: 68, updated: 0, unchanged: 0, removed: 0, failed: 0 });
  expect(result.stats).toEqual(run.stats);
  const dupes: Array<{ n: string }> = await ds.query(
    `SELECT count(*) AS n FROM (SELECT kind, source_id FROM run_record WHERE run_id = $1 GROUP BY 1, 2 HAVING count(*) > 1) d`,
    [run.id],
  );
  expect(Number(dupes[0].n)).toBe(0);
  const cards: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM datacard WHERE template_code = ANY($1)`, [[crashed.account, crashed.entitlement]]);
  expect(Number(cards[0].n)).toBe(68);

  const a = await targetView(ds, crashed);
  const b = await targetView(ds, clean);
  expect(a).toEqual(b);
  expect(Object.keys(a.accounts)).toHaveLength(60);
  expect(Object.values(a.groups).reduce((n, g) => n + g.links.length, 0)).toBe(120);
}, 300_000);
