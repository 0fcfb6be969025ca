/**
 * Database faults during load, against a PostgreSQL of this file's own (a crash or restart of the
 * suite's shared one would disturb every other test file) and a worker in its own process:
 *  - kill -9 of a backend: PostgreSQL crash recovery empties the UNLOGGED staging. The run reads
 *    its source again and ends like an uninterrupted run; on an incremental task the watermark
 *    never passes records that did not land, so the next incremental run misses nothing.
 *  - a PostgreSQL restart: the worker process stays up, its activities fail while the database is
 *    away and succeed once it is back.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { runMigrations, SecretBox } from '@app/persistence';
import type { RunProgress } from '@app/temporal';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { freePort } from '../../scripts/lib/free-port';
import { DedicatedPostgres } from '../support/dedicated-postgres-process';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, runTask, seedTargetStore, targetView, type TargetCodes } from './support/import-fixtures';
import { startStack, type Stack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';

const ROOT = resolve(__dirname, '..', '..');
const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-dbcrash-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const DATA_DIR = join(ROOT, '.data', `test-pg-dbcrash-${process.pid}-${SUFFIX}`);
const DATABASE = 'scim_import_dbcrash';
/** the worker's connections carry this name, so the test can find (and kill) one of them */
const WORKER_APP = 'import-worker';
const USERS = 240;
const GROUPS = 24;

let stack: Stack;
let config: AppConfig;
let pg: DedicatedPostgres;
let databaseUrl: string;
let ds: DataSource;
let client: Client;
let server: ScimDemoServer;
let worker: ChildProcess;
let workerLog = '';
let connectorId: string;

/** Starts the worker process (small, slow load batches so a fault lands mid-load); resolves once it polls. */
function startWorker(): Promise<ChildProcess> {
  return stack.spawnWorker({
    child: { tuning: { loadBatchSize: 10, loadBatchPauseMs: 30 } },
    env: { DATABASE_URL: `${databaseUrl}?application_name=${WORKER_APP}` },
    onOutput: (text) => (workerLog = (workerLog + text).slice(-4000)),
  });
}

/** Polls (through database restarts) until the run of `workflowId` has loaded some records. */
async function untilLoading(workflowId: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const rows: Array<{ phase: string; n: string }> = await ds.query(
        `SELECT r.phase, (SELECT count(*) FROM run_record rr WHERE rr.run_id = r.id AND rr.outcome = 'created') AS n FROM run r WHERE r.workflow_id = $1`,
        [workflowId],
      );
      if (rows[0]?.phase === 'load' && Number(rows[0].n) > 0) return;
    } catch {
      // the database is recovering
    }
    if (Date.now() > deadline) throw new Error('the run never reached load');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** kill -9 of one of the worker's backends: PostgreSQL restarts every backend and runs crash recovery. */
async function killWorkerBackend(): Promise<number> {
  const rows: Array<{ pid: number }> = await ds.query(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY (state = 'active') DESC, pid LIMIT 1`,
    [WORKER_APP],
  );
  expect(rows).toHaveLength(1);
  process.kill(rows[0].pid, 'SIGKILL');
  return rows[0].pid;
}

/** Queries that survive the test's own connections being dropped by a crash or restart. */
async function settled<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function newTask(codes: TargetCodes, type: 'full' | 'incremental'): Promise<string> {
  return insertTask(ds, { connectorId, type, config: identityAndAccessConfig(codes) });
}

function start(taskId: string, name: string): { workflowId: string; handle: Promise<WorkflowHandle> } {
  const workflowId = `import-task-${taskId}-${name}`;
  return { workflowId, handle: startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId }) };
}

async function redosOf(workflowId: string): Promise<number> {
  const rows: Array<{ staging_redos: number }> = await ds.query(`SELECT staging_redos FROM run WHERE workflow_id = $1`, [workflowId]);
  return rows[0].staging_redos;
}

beforeAll(async () => {
  pg = new DedicatedPostgres(DATA_DIR, await freePort(), DATABASE);
  rmSync(DATA_DIR, { recursive: true, force: true });
  databaseUrl = await pg.start();
  await runMigrations(databaseUrl);
  stack = await startStack({
    taskQueue: TASK_QUEUE,
    config: { databaseUrl },
    bundleFile: true,
    scim: { auth: AUTH, seed: { users: USERS, groups: GROUPS, membersPerUser: 2 } },
  });
  ({ config, ds, client, scim: server } = stack);
  connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 40 });
  worker = await startWorker();
}, 180_000);

afterAll(async () => {
  try {
    await stack?.stop();
  } finally {
    await pg?.stop();
    rmSync(DATA_DIR, { recursive: true, force: true });
  }
});

afterEach(() => {
  // every fault here must leave the worker process running
  expect({ exitCode: worker.exitCode, signal: worker.signalCode, log: worker.exitCode === null ? '' : workerLog }).toEqual({ exitCode: null, signal: null, log: '' });
});

it('a backend killed during load (crash recovery empties staging): the run reads its source again and ends like a clean run', async () => {
  const crashed = await seedTargetStore(ds, `${SUFFIX}f`);
  const clean = await seedTargetStore(ds, `${SUFFIX}fc`);
  const taskId = await newTask(crashed, 'full');
  const run = start(taskId, 'killed');
  const handle = await run.handle;
  await untilLoading(run.workflowId);
  await killWorkerBackend();

  const result = (await handle.result()) as RunProgress;
  const row = await settled(() => runOf(ds, run.workflowId));
  expect(row.status).toBe('succeeded');
  expect(await redosOf(run.workflowId)).toBeGreaterThanOrEqual(1);
  expect(row.notes.join('\n')).toContain('staged records were lost (PostgreSQL crash recovery or restore)');
  // everything read is in the target, each record counted once
  expect(row.stats).toEqual({ fetched: USERS + GROUPS, created: USERS + GROUPS, updated: 0, unchanged: 0, removed: 0, failed: 0 });
  expect(result.stats).toEqual(row.stats);

  await runTask(client, TASK_QUEUE, await newTask(clean, 'full'));
  const a = await targetView(ds, crashed);
  expect(a).toEqual(await targetView(ds, clean));
  expect(Object.keys(a.accounts)).toHaveLength(USERS);
  expect(Object.keys(a.groups)).toHaveLength(GROUPS);
}, 240_000);

it('an incremental task whose first run lost its staging to a crash: the watermark never passes what did not land, the next run misses nothing', async () => {
  const crashed = await seedTargetStore(ds, `${SUFFIX}i`);
  const clean = await seedTargetStore(ds, `${SUFFIX}ic`);
  const taskId = await newTask(crashed, 'incremental');
  const run = start(taskId, 'killed-incr');
  const handle = await run.handle;
  await untilLoading(run.workflowId);
  await killWorkerBackend();
  await handle.result();
  const first = await settled(() => runOf(ds, run.workflowId));
  expect(first.status).toBe('succeeded');
  expect(await redosOf(run.workflowId)).toBeGreaterThanOrEqual(1);
  expect(first.stats).toMatchObject({ fetched: USERS + GROUPS, created: USERS + GROUPS, failed: 0 });
  const marks: Array<{ watermark: Date; started_at: Date }> = await ds.query(
    `SELECT t.watermark, r.started_at FROM import_task t JOIN run r ON r.task_id = t.id WHERE r.workflow_id = $1`,
    [run.workflowId],
  );
  expect(marks[0].watermark).toEqual(marks[0].started_at);

  // the source changes; the next incremental run reads only what changed and the target is whole
  const ids = server.admin.listUserIds();
  await server.admin.updateUser(ids[3], { userName: 'changed-after-the-crash@example.com' });
  await server.admin.updateUser(ids[7], { name: { givenName: 'Renamed', familyName: 'Person' } });
  const next = await runTask(client, TASK_QUEUE, taskId);
  const second = await runOf(ds, next.workflowId);
  expect(second).toMatchObject({ status: 'succeeded', mode: 'incremental' });
  expect(second.stats.fetched).toBeLessThan(USERS);

  await runTask(client, TASK_QUEUE, await newTask(clean, 'full'));
  const a = await targetView(ds, crashed);
  expect(a).toEqual(await targetView(ds, clean));
  expect(Object.keys(a.accounts)).toHaveLength(USERS);
  expect(a.accounts[ids[3]]).toMatchObject({ login: 'changed-after-the-crash@example.com' });
  expect(a.accounts[ids[7]]).toMatchObject({ firstName: 'Renamed', lastName: 'Person' });
}, 240_000);

it('PostgreSQL restarted during load: the worker process stays up and the run succeeds once the database is back', async () => {
  const restarted = await seedTargetStore(ds, `${SUFFIX}r`);
  const clean = await seedTargetStore(ds, `${SUFFIX}rc`);
  const taskId = await newTask(restarted, 'full');
  const run = start(taskId, 'restarted');
  const handle = await run.handle;
  await untilLoading(run.workflowId);
  const pid = worker.pid;
  await pg.stop();
  // the worker's activities meet a database that is away for a while
  await new Promise((r) => setTimeout(r, 3000));
  await pg.start();

  await handle.result();
  expect(worker.pid).toBe(pid);
  const row = await settled(() => runOf(ds, run.workflowId));
  expect(row.status).toBe('succeeded');
  expect(row.stats).toEqual({ fetched: USERS + GROUPS, created: USERS + GROUPS, updated: 0, unchanged: 0, removed: 0, failed: 0 });

  await runTask(client, TASK_QUEUE, await newTask(clean, 'full'));
  expect(await targetView(ds, restarted)).toEqual(await targetView(ds, clean));
}, 240_000);
