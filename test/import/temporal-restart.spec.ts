/**
 * A Temporal restart in the middle of a run, against a Temporal dev server of this file's own (the
 * suite's shared one must stay up for every other test file) that keeps its state in a SQLite file,
 * and the real worker (apps/worker) in its own process: the server is killed (SIGKILL) mid-run and
 * started again on the same port and file. The worker process stays up throughout and the run
 * ends `succeeded` with the same target as an uninterrupted run. The API, asked to start a run
 * while Temporal is away, answers 503 with a problem document instead of failing.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { freePort } from '../../scripts/lib/free-port';
import { ensureTemporalCli, startTemporalDevServer, type TemporalDevServerHandle } from '../../scripts/lib/temporal-dev-server';
import { startApi, type ApiHarness } from '../support/api-harness';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore, targetView } from './support/import-fixtures';
import { startStack, type Stack } from '../support/e2e-stack';
import { executeImportWorkflow, startImportWorkflow } from '../support/start-import';

const ROOT = resolve(__dirname, '..', '..');
const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-temporal-restart-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const WORK_DIR = mkdtempSync(join(tmpdir(), `import-temporal-restart-${SUFFIX}-`));
const TEMPORAL_DB = join(WORK_DIR, 'temporal.db');
const USERS = 80;
const GROUPS = 8;
/** every source request waits this long, so the run is still reading when the server goes down */
const PAGE_LATENCY_MS = 250;
/**
 * Longer than the SDK's own retries of a single call (about 10 s): an activity that completes
 * while the server is away loses its completion and is retried by Temporal once it is back.
 */
const OUTAGE_MS = 15_000;

let stack: Stack;
let config: AppConfig;
let ds: DataSource;
let cliPath: string;
let temporalPort: number;
let temporal: TemporalDevServerHandle;
let temporalLog: string[] = [];
let client: Client;
let scim: ScimDemoServer;
let slowSource: Server;
let slowSourceUrl: string;
let worker: ChildProcess;
let workerLog = '';
let workerExit: string | undefined;
let api: ApiHarness;

/** Starts (or, on the same port and SQLite file, restarts) this file's Temporal dev server. */
async function startTemporal(): Promise<void> {
  temporal = await startTemporalDevServer({
    cliPath,
    port: temporalPort,
    dbFile: TEMPORAL_DB,
    namespace: config.temporalNamespace,
    onLog: (line) => (temporalLog = [...temporalLog, line].slice(-30)),
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.connection.workflowService.describeNamespace({ namespace: config.temporalNamespace });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** kill -9 of the dev server: no graceful shutdown, in-flight calls of the worker just break. */
function killTemporal(): Promise<void> {
  const child = temporal.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** A pass-through to the demo SCIM server that answers every request PAGE_LATENCY_MS later. */
function startSlowSource(target: string): Promise<void> {
  const upstream = new URL(target);
  slowSource = createServer((req, res) => {
    setTimeout(() => {
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, PAGE_LATENCY_MS);
  });
  return new Promise((listening) =>
    slowSource.listen(0, '127.0.0.1', () => {
      const address = slowSource.address() as { port: number };
      slowSourceUrl = `http://127.0.0.1:${address.port}${upstream.pathname}`;
      listening();
    }),
  );
}

/** The production worker entry point, as its own process, polling this file's server; resolves once it polls. */
async function startWorker(): Promise<ChildProcess> {
  const child = await stack.spawnWorker({
    args: [join(ROOT, 'apps/worker/src/main.ts'), '--workflow-bundle', stack.bundlePath],
    env: { TEMPORAL_ADDRESS: temporal.address, TASK_QUEUE, LOG_LEVEL: 'log', NO_COLOR: '1' },
    ready: /worker polling task queue/,
    onOutput: (text) => (workerLog = (workerLog + text).slice(-6000)),
  });
  child.once('exit', (code, signal) => (workerExit = `code ${code}, signal ${signal}`));
  return child;
}

beforeAll(async () => {
  cliPath = ensureTemporalCli(ROOT);
  temporalPort = await freePort();
  stack = await startStack({
    taskQueue: TASK_QUEUE,
    // the client connects lazily, so it outlives the server it talks to
    config: { temporalAddress: `127.0.0.1:${temporalPort}` },
    lazyClient: true,
    bundleFile: true,
    scim: { auth: AUTH, seed: { users: USERS, groups: GROUPS, membersPerUser: 2 } },
  });
  ({ config, ds, client, scim } = stack);
  await startTemporal();
  stack.onStop(() => temporal.stop());
  // the API on this file's server; its task queue stays the suite's, so schedules it reconciles never reach this file's worker
  api = await startApi({ temporalAddress: temporal.address });
  stack.onStop(() => api.close());
  await startSlowSource(scim.url);
  stack.onStop(() => new Promise((r) => slowSource.close(r)));
  worker = await startWorker();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(WORK_DIR, { recursive: true, force: true });
});

it('a Temporal restart mid-run: the worker process stays up and the run ends like an uninterrupted one', async () => {
  const box = new SecretBox(config.secretKey);
  const restarted = await seedTargetStore(ds, `${SUFFIX}r`);
  const clean = await seedTargetStore(ds, `${SUFFIX}c`);
  const connectorId = await insertConnector(ds, box, { baseUrl: slowSourceUrl, ...AUTH, pageSize: 5 });
  const restartTask = await insertTask(ds, { connectorId, config: identityAndAccessConfig(restarted) });
  const cleanTask = await insertTask(ds, { connectorId, config: identityAndAccessConfig(clean) });
  const workerPid = worker.pid;

  const workflowId = `import-task-${restartTask}-temporal-restart`;
  const handle = await startImportWorkflow(client, { input: { taskId: restartTask, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });

  // wait until the run is reading its source, then take Temporal away under it
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows: Array<{ phase: string | null }> = await ds.query(`SELECT phase FROM run WHERE workflow_id = $1`, [workflowId]);
    if (rows[0]?.phase === 'extract' && scim.requestCount() >= 4) break;
    if (Date.now() > deadline) throw new Error(`the run never reached extract: ${workerLog}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await killTemporal();
  const requestsAtKill = scim.requestCount();
  // a client of the API meanwhile gets a clear, retryable answer (once the API's own retries of the call give up)
  const [runNow] = await Promise.all([
    api.http().post(`/api/v1/tasks/${cleanTask}/runs`).set({ Authorization: `Bearer ${api.adminToken}` }).send({}),
    new Promise((r) => setTimeout(r, OUTAGE_MS)),
  ]);
  expect(runNow.status).toBe(503);
  expect(runNow.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(runNow.body.detail).toMatch(/Temporal is unreachable/);
  expect(runNow.headers['retry-after']).toBe('5');
  expect(await ds.query(`SELECT id FROM run WHERE task_id = $1`, [cleanTask])).toEqual([]);
  expect(workerExit).toBeUndefined();
  await startTemporal();

  const result = await handle.result();
  // the kill landed mid-extract: the source had been read only in part
  expect(requestsAtKill).toBeLessThan(Math.ceil(USERS / 5) + Math.ceil(GROUPS / 5));
  expect(workerExit).toBeUndefined();
  expect(worker.pid).toBe(workerPid);

  const cleanId = `import-task-${cleanTask}-clean`;
  await executeImportWorkflow(client, { input: { taskId: cleanTask, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId: cleanId });

  const run = await runOf(ds, workflowId);
  expect(run.status).toBe('succeeded');
  const cleanRun = await runOf(ds, cleanId);
  expect(run.stats).toEqual(cleanRun.stats);
  expect(run.stats).toEqual({ fetched: USERS + GROUPS, created: USERS + GROUPS, updated: 0, unchanged: 0, removed: 0, failed: 0 });
  expect(result.stats).toEqual(run.stats);
  const cards: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM datacard WHERE template_code = ANY($1)`, [[restarted.account, restarted.entitlement]]);
  expect(Number(cards[0].n)).toBe(USERS + GROUPS);

  const a = await targetView(ds, restarted);
  const b = await targetView(ds, clean);
  expect(a).toEqual(b);
  expect(Object.keys(a.accounts)).toHaveLength(USERS);
  expect(worker.exitCode).toBeNull();
}, 110_000);
