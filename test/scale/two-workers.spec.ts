/**
 * Scale-out (issue 21): two worker processes on one task queue, with the real API (run-now over
 * REST), PostgreSQL, the Temporal dev server and a SCIM demo server.
 *
 * - 20 tasks started at once are shared by two production workers (apps/worker/src/main.ts, each
 *   with its own WORKER_METRICS_PORT and its own WORKER_MAX_CONCURRENT_ACTIVITIES): every run
 *   succeeds with the right counts, and each worker's /metrics shows activities it executed.
 * - A worker SIGKILLed in the middle of load: the other one takes the activity over after the
 *   heartbeat timeout (30 s) and finishes the run; its target equals, record by record, the target
 *   of a control import of the same source into another target store without any kill.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';
import { freePort } from '../../scripts/lib/free-port';
import type { ApiHarness } from '../support/api-harness';
import { startStack, type Stack } from '../support/e2e-stack';
import { uniq } from '../support/fixtures';
import { runApi, scimServerPool, type RunApi, type RunBody, type TargetCodes } from '../e2e/support/run-api';
import { targetView } from '../import/support/import-fixtures';
import { workerChildArgs } from '../support/worker-child';
import { endWorkerProcess } from '../support/worker-process';

const ROOT = resolve(__dirname, '..', '..');
const USER = 'svc-scale';
const PASSWORD = `Pw-${randomUUID()}`;
const { EventType } = temporal.api.enums.v1;

let stack: Stack;
let api: ApiHarness;
let rest: RunApi;
let client: Client;
const pool = scimServerPool(USER, PASSWORD);

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  log: string[];
  metricsPort?: number;
}
const workers: WorkerProcess[] = [];

/** Spawns a worker process and resolves once it polls (it prints `ready` or the production worker's polling line). */
async function spawnWorker(name: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<WorkerProcess> {
  const log: string[] = [];
  const child = await stack.spawnWorker({
    nodeFlags: WORKER_NODE_FLAGS,
    args,
    env: { TASK_QUEUE: api.config.taskQueue, LOG_FORMAT: 'json', ...env },
    ready,
    onLine: (line) => log.push(line),
  });
  const w: WorkerProcess = { name, child, log, metricsPort: env.WORKER_METRICS_PORT ? Number(env.WORKER_METRICS_PORT) : undefined };
  workers.push(w);
  return w;
}

/** The production worker with its own metrics port and activity limit. */
async function productionWorker(name: string, maxActivities: number): Promise<WorkerProcess> {
  const port = await freePort();
  return spawnWorker(
    name,
    [join(ROOT, 'apps/worker/src/main.ts'), '--workflow-bundle', stack.bundlePath],
    // LOG_LEVEL log: the polling line that says it is ready is written at that level
    { WORKER_METRICS_PORT: String(port), WORKER_MAX_CONCURRENT_ACTIVITIES: String(maxActivities), WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '10', LOG_LEVEL: 'log' },
    /worker polling task queue/,
  );
}

/** A worker whose load writes `batch` records per batch with a pause, so a kill lands in the middle of it. */
function slowLoadWorker(name: string, batch: number, pauseMs: number): Promise<WorkerProcess> {
  return spawnWorker(name, workerChildArgs({ taskQueue: api.config.taskQueue, bundlePath: stack.bundlePath, identity: name, tuning: { loadBatchSize: batch, loadBatchPauseMs: pauseMs }, poolSize: 6 }), {}, /^ready$/);
}

/** SIGTERM (drains), SIGKILL after 15 s, or SIGKILL at once; resolves when it is gone. */
function stop(w: WorkerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  return endWorkerProcess(w.child, signal === 'SIGTERM' ? 15_000 : undefined);
}

async function scrape(w: WorkerProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Samples of `name` whose labels include every given label: [labels, value]. */
function samples(text: string, name: string, labels: Record<string, string> = {}): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) out.push([set, Number(m[3])]);
  }
  return out;
}
const sum = (text: string, name: string, labels: Record<string, string> = {}) => samples(text, name, labels).reduce((n, [, v]) => n + v, 0);

beforeAll(async () => {
  stack = await startStack({ taskQueue: uniq('scale'), api: true, bundleFile: true });
  ({ api, client } = stack);
  rest = runApi(api);
}, 180_000);

afterAll(async () => {
  // SCALE_TEST_LOGS=1 prints the tail of every worker's output (when a run hangs or a worker fails to start)
  if (process.env.SCALE_TEST_LOGS) for (const w of workers) process.stdout.write(`---- ${w.name}\n${w.log.slice(-40).join('\n')}\n`);
  await stack?.stop();
  await pool.closeAll();
});

/** A connector to `scim` and a task into a target store of its own. */
async function taskOn(scim: ScimDemoServer, prefix: string): Promise<{ taskId: string; codes: TargetCodes }> {
  const codes = await rest.targetStore(prefix);
  const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
  return { taskId, codes };
}

async function cardCounts(codes: TargetCodes): Promise<{ accounts: number; groups: number; links: number }> {
  const [row] = await api.ds.query<Array<{ accounts: number; groups: number; links: number }>>(
    `SELECT (SELECT count(*)::int FROM datacard WHERE template_code = $1) AS accounts,
            (SELECT count(*)::int FROM datacard WHERE template_code = $2) AS groups,
            (SELECT count(*)::int FROM datacard_link l JOIN datacard d ON d.id = l.datacard_id WHERE d.template_code = $2) AS links`,
    [codes.account, codes.entitlement],
  );
  return row;
}

describe('two worker processes on one task queue', () => {
  it('20 tasks started at once through the API are shared by both workers: all succeed with the right counts, each worker\'s metrics show its work', async () => {
    const [a, b] = await Promise.all([productionWorker('a', 3), productionWorker('b', 5)]);
    // idle, each worker offers exactly the activity slots its WORKER_MAX_CONCURRENT_ACTIVITIES says
    for (const [w, slots] of [[a, 3], [b, 5]] as const) {
      expect(sum(await scrape(w), 'temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' })).toBe(slots);
    }

    const users = 40;
    const groups = 4;
    const scim = await pool.start({ users, groups, membersPerUser: 1 });
    const tasks = [];
    for (let i = 0; i < 20; i += 1) tasks.push(await taskOn(scim, `s${i}`));

    const started = Date.now();
    const runs = await Promise.all(tasks.map((t) => rest.runNow(t.taskId)));
    expect(runs.every((r) => r.status === 'running')).toBe(true);
    // while they run, neither worker uses more activity slots than its limit
    let busiest = { a: 0, b: 0 };
    const watching = (async () => {
      while (Date.now() - started < 120_000) {
        const [ta, tb] = await Promise.all([scrape(a), scrape(b)]);
        busiest = {
          a: Math.max(busiest.a, sum(ta, 'temporal_worker_task_slots_used', { worker_type: 'ActivityWorker' })),
          b: Math.max(busiest.b, sum(tb, 'temporal_worker_task_slots_used', { worker_type: 'ActivityWorker' })),
        };
        if (sum(ta, 'scim_import_runs_total') + sum(tb, 'scim_import_runs_total') >= 20) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const finished = await Promise.all(runs.map((r) => rest.waitRun(r.id, undefined, 120_000)));
    const wallMs = Date.now() - started;
    await watching;

    for (const run of finished) {
      expect({ id: run.id, status: run.status, error: run.error }).toEqual({ id: run.id, status: 'succeeded', error: undefined });
      expect(run.stats).toEqual({ fetched: users + groups, created: users + groups, updated: 0, unchanged: 0, removed: 0, failed: 0 });
    }
    for (const t of tasks) expect(await cardCounts(t.codes)).toEqual({ accounts: users, groups, links: users });

    const [ta, tb] = await Promise.all([scrape(a), scrape(b)]);
    const perWorker = [ta, tb].map((text) => ({
      activities: sum(text, 'temporal_activity_execution_latency_count'),
      extracts: sum(text, 'temporal_activity_execution_latency_count', { activity_type: 'extract' }),
      loads: sum(text, 'temporal_activity_execution_latency_count', { activity_type: 'load' }),
      recordsRead: sum(text, 'scim_import_records_read_total'),
      runs: sum(text, 'scim_import_runs_total', { outcome: 'succeeded' }),
      tasksSeen: new Set(samples(text, 'scim_import_records_read_total').map(([labels]) => /task_id="([^"]+)"/.exec(labels)?.[1])).size,
    }));
    // both workers executed activities, and between them every one of the 20 runs
    for (const w of perWorker) {
      expect(w.activities).toBeGreaterThan(0);
      expect(w.extracts + w.loads).toBeGreaterThan(0);
    }
    // two extracts and one load per run (a retried attempt would count again)
    expect(perWorker[0].extracts + perWorker[1].extracts).toBeGreaterThanOrEqual(40);
    expect(perWorker[0].loads + perWorker[1].loads).toBeGreaterThanOrEqual(20);
    expect(perWorker[0].runs + perWorker[1].runs).toBe(20);
    expect(perWorker[0].recordsRead + perWorker[1].recordsRead).toBe(20 * (users + groups));
    expect(busiest.a).toBeLessThanOrEqual(3);
    expect(busiest.b).toBeLessThanOrEqual(5);
    process.stdout.write(`[scale] 20 runs on 2 workers in ${wallMs} ms; per worker ${JSON.stringify(perWorker)}; busiest activity slots ${JSON.stringify(busiest)}\n`);

    await Promise.all([stop(a), stop(b)]);
  }, 240_000);

  it('a worker SIGKILLed in the middle of load: the other finishes the run, and its target equals a control import without a kill', async () => {
    const [first, second] = await Promise.all([slowLoadWorker('slow-1', 8, 200), slowLoadWorker('slow-2', 8, 200)]);
    const users = 200;
    const groups = 10;
    const scim = await pool.start({ users, groups, membersPerUser: 2 });
    const crashed = await taskOn(scim, 'kill');
    const control = await taskOn(scim, 'ctrl');

    const run = await rest.runNow(crashed.taskId);
    const handle = client.workflow.getHandle(run.workflowId, run.temporalRunId ?? undefined);
    // phase load with records already created, and the worker that runs load
    let atKill: RunBody | undefined;
    let holder: string | undefined;
    const deadline = Date.now() + 90_000;
    while (!atKill) {
      if (Date.now() > deadline) throw new Error('the run never reached load');
      const now = await rest.run(run.id);
      if (now.status !== 'running') throw new Error(`the run ended before the kill: ${JSON.stringify(now)}`);
      if (now.phase === 'load' && now.stats.created > 0) {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        holder = pending.find((p) => p.activityType?.name === 'load')?.lastWorkerIdentity ?? undefined;
        if (holder) atKill = now;
      }
      if (!atKill) await new Promise((r) => setTimeout(r, 50));
    }
    const victim = [first, second].find((w) => w.name === holder);
    const survivor = [first, second].find((w) => w.name !== holder);
    if (!victim || !survivor) throw new Error(`load runs on an unknown worker: ${holder}`);
    await stop(victim, 'SIGKILL');
    const killedAt = Date.now();
    // killed with part of the records written
    expect(atKill.stats.created).toBeGreaterThan(0);
    expect(atKill.stats.created).toBeLessThan(users + groups);

    // the control import of the same source, without a kill, runs on the survivor meanwhile
    const controlRun = await rest.waitRun((await rest.runNow(control.taskId)).id, undefined, 90_000);
    // the survivor takes load over once the heartbeat timeout (30 s) has passed, and finishes the run
    const done = await rest.waitRun(run.id, undefined, 90_000);
    const takeoverMs = Date.now() - killedAt;

    expect(controlRun.status).toBe('succeeded');
    expect(done.status).toBe('succeeded');
    const expected = { fetched: users + groups, created: users + groups, updated: 0, unchanged: 0, removed: 0, failed: 0 };
    expect(controlRun.stats).toEqual(expected);
    expect(done.stats).toEqual(expected);

    // load's last attempt ran on the survivor, after the killed one
    await handle.result();
    const history = await handle.fetchHistory();
    const scheduled = new Map<string, string>();
    const loads: Array<{ attempt: number; identity: string }> = [];
    for (const e of history.events ?? []) {
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
      const s = e.activityTaskStartedEventAttributes;
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED && scheduled.get(String(s?.scheduledEventId)) === 'load') {
        loads.push({ attempt: s?.attempt ?? 0, identity: s?.identity ?? '' });
      }
    }
    expect(loads).toEqual([{ attempt: 2, identity: survivor.name }]);
    expect(history.events?.some((e) => e.activityTaskTimedOutEventAttributes)).toBe(false);

    // every record written once: no duplicate outcome, and the same target, record by record
    const [dupes] = await api.ds.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM (SELECT kind, source_id FROM run_record WHERE run_id = $1 GROUP BY 1, 2 HAVING count(*) > 1) d`,
      [run.id],
    );
    expect(dupes.n).toBe(0);
    expect(await cardCounts(crashed.codes)).toEqual({ accounts: users, groups, links: users * 2 });
    const view = await targetView(api.ds, crashed.codes);
    expect(view).toEqual(await targetView(api.ds, control.codes));
    expect(Object.keys(view.accounts)).toHaveLength(users);
    const statuses = async (c: TargetCodes) =>
      api.ds.query<Array<{ template: string; status: string; n: number }>>(
        `SELECT CASE template_code WHEN $1 THEN 'account' ELSE 'entitlement' END AS template, status, count(*)::int AS n
           FROM datacard WHERE template_code = ANY(ARRAY[$1, $2]) GROUP BY 1, 2 ORDER BY 1, 2`,
        [c.account, c.entitlement],
      );
    expect(await statuses(crashed.codes)).toEqual(await statuses(control.codes));
    process.stdout.write(`[scale] killed ${victim.name} at ${atKill.stats.created}/${users + groups} created; ${survivor.name} finished ${takeoverMs} ms after the kill\n`);

    await stop(survivor);
  }, 240_000);
});
