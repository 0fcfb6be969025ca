/**
 * The production worker (apps/worker/src/main.ts) in its own process, in JSON log mode with its
 * Prometheus endpoint on a free port (Runtime.install runs once per process, so not in jest's):
 * after a real import every line written during the run's activities carries the run's ids, no
 * connector secret appears anywhere in the output, and /metrics shows non-zero import counters
 * next to the Temporal SDK's own metrics.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { freePort } from '../../scripts/lib/free-port';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore } from '../import/support/import-fixtures';
import { startStack, type Stack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';

const ROOT = resolve(__dirname, '..', '..');
const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `telemetry-${SUFFIX}`;
const AUTH = { username: 'svc-telemetry', password: `pw-${randomBytes(10).toString('hex')}` };

let stack: Stack;
let config: AppConfig;
let ds: DataSource;
let client: Client;
let server: ScimDemoServer;
let metricsPort: number;
const output: string[] = [];

/** Starts the worker process and resolves once it polls. */
async function startWorker(): Promise<void> {
  await stack.spawnWorker({
    args: [join(ROOT, 'apps/worker/src/main.ts'), '--workflow-bundle', stack.bundlePath],
    env: { TASK_QUEUE, LOG_FORMAT: 'json', LOG_LEVEL: 'debug', WORKER_METRICS_PORT: String(metricsPort) },
    ready: /worker polling task queue/,
    onLine: (line) => output.push(line),
    // a worker that does not drain in time is killed: the test must not leave it behind
    stopGraceMs: 15_000,
  });
}

async function scrape(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Sum of the samples of `name` whose labels include every given label. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

beforeAll(async () => {
  stack = await startStack({ taskQueue: TASK_QUEUE, bundleFile: true, scim: { auth: AUTH, seed: { users: 40, groups: 6, membersPerUser: 2 } } });
  ({ config, ds, client, scim: server } = stack);
  metricsPort = await freePort();
  await startWorker();
}, 180_000);

afterAll(() => stack?.stop());

it('a real run in JSON mode: ids on every activity line, no secret, import and SDK metrics on /metrics', async () => {
  const codes = await seedTargetStore(ds, `${SUFFIX}t`);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 10 });
  const taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
  const workflowId = `import-task-${taskId}-telemetry`;
  const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });
  await handle.result();
  const run = await runOf(ds, workflowId);
  expect(run.status).toBe('succeeded');
  expect(run.stats.created).toBe(46);

  // ---- metrics: the import's own counters and the SDK's, from the one endpoint ----
  let text = '';
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    text = await scrape();
    if (sample(text, 'scim_import_runs_total', { task_id: taskId, outcome: 'succeeded' }) >= 1) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const task = { task_id: taskId };
  expect(sample(text, 'scim_import_runs_total', { ...task, outcome: 'succeeded' })).toBe(1);
  expect(sample(text, 'scim_import_records_read_total', { ...task, resource: 'identity' })).toBe(40);
  expect(sample(text, 'scim_import_records_read_total', { ...task, resource: 'access' })).toBe(6);
  expect(sample(text, 'scim_import_pages_fetched_total', task)).toBeGreaterThanOrEqual(5);
  expect(sample(text, 'scim_import_records_total', { ...task, outcome: 'created' })).toBe(46);
  expect(sample(text, 'scim_import_records_total', { ...task, outcome: 'failed' })).toBe(0);
  expect(sample(text, 'scim_import_run_duration_seconds_count', { ...task, outcome: 'succeeded' })).toBe(1);
  expect(sample(text, 'scim_import_scim_responses_total', { ...task, status: '200' })).toBeGreaterThanOrEqual(5);
  // the SDK's runtime metrics, served by the same exporter
  expect(sample(text, 'temporal_activity_execution_latency_count', { activity_type: 'extract' })).toBeGreaterThanOrEqual(2);
  expect(sample(text, 'temporal_workflow_completed', { workflow_type: 'importTask' })).toBeGreaterThanOrEqual(1);
  expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);

  // ---- logs: one JSON object per line; every line written during the run's activities carries its ids ----
  const lines = output.filter((l) => l.trim() !== '');
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const e of events) {
    expect(typeof e.level).toBe('string');
    expect(typeof e.time).toBe('string');
    expect(typeof e.message).toBe('string');
  }
  const ofRun = events.filter((e) => e.workflowId === workflowId);
  const types = new Set(ofRun.map((e) => e.activityType));
  for (const t of ['prepareRun', 'extract', 'map', 'diff', 'load', 'finishRun']) expect(types).toContain(t);
  // SCIM requests are logged at debug from inside extract: the context reaches library code
  expect(ofRun.filter((e) => e.message === 'SCIM request').length).toBeGreaterThanOrEqual(5);
  // the SDK's workflow lines name the Temporal run id like the activity lines do
  for (const e of ofRun.filter((x) => x.activityType === undefined)) expect(e).toMatchObject({ temporalRunId: handle.firstExecutionRunId, workflowType: 'importTask' });
  for (const e of ofRun.filter((x) => x.activityType !== undefined)) {
    expect(e).toMatchObject({ workflowId, temporalRunId: handle.firstExecutionRunId, taskId });
    expect(e.attempt).toBeGreaterThanOrEqual(1);
    // before prepareRun has created the run there is no run id to carry
    if (!(e.activityType === 'prepareRun' && e.message === 'activity started')) expect(e.runId).toBe(run.id);
  }
  // every line the activities wrote themselves is one of the run's
  expect(events.filter((e) => e.context === 'activities' && e.workflowId !== workflowId)).toEqual([]);

  // ---- secrets: neither the password nor the Authorization header value appears anywhere ----
  const all = output.join('\n');
  expect(all).not.toContain(AUTH.password);
  expect(all).not.toContain(Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64'));
});

it("tells each run's story at info: start, every step with counts, the removal decision and the records marked removed, the end", async () => {
  const codes = await seedTargetStore(ds, `${SUFFIX}s`);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 10 });
  const taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
  const runOnce = async (n: number) => {
    const workflowId = `import-task-${taskId}-story-${n}`;
    await (await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId })).result();
    const run = await runOf(ds, workflowId);
    expect(run.status).toBe('succeeded');
    return { workflowId, run };
  };
  await runOnce(1);
  // two users leave the source: the next full run marks them removed
  const gone = server.admin.listUserIds().slice(0, 2).map((id) => ({ id, user: server.admin.getUser(id)! }));
  for (const g of gone) await server.admin.deleteUser(g.id);
  const { workflowId, run } = await runOnce(2);
  expect(run.stats.removed).toBe(2);

  // the story is at info (not debug), in the run's context
  const story = output
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.workflowId === workflowId && e.level !== 'debug' && e.level !== 'verbose' && e.context === 'activities');
  const messages = story.map((e) => String(e.message));
  expect(messages[0]).toBe(`run ${run.id} started: full, manual, reading /Users, /Groups`);
  expect(messages).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^extract identity done in \d+\.\d s: 38 records in \d+ pages, complete$/),
      expect.stringMatching(/^extract access done in \d+\.\d s: 6 records in \d+ pages, complete$/),
      expect.stringMatching(/^diff done in /),
      expect.stringMatching(/^removal check done in .*: 2 candidates, /),
      'removals applied (withinThreshold): 2 marked removed',
      expect.stringMatching(/^marked removed: identity \S+, identity \S+$/),
      expect.stringMatching(/^run succeeded: read 44, created 0, updated \d+, unchanged \d+, removed 2, failed 0$/),
    ]),
  );
  const finished = story.find((e) => String(e.message).startsWith('run succeeded'))!;
  expect(finished.durationMs).toEqual(expect.any(Number));
  expect(story.find((e) => String(e.message).startsWith('extract identity'))).toMatchObject({ runId: run.id, taskId, resource: 'identity', fetched: 38, complete: true });

  // no record attribute but the unique value: the removed users' other attributes appear nowhere in the story
  const text = JSON.stringify(story);
  for (const { user } of gone) {
    const name = user.name as { givenName?: string; familyName?: string } | undefined;
    for (const value of [name?.givenName, name?.familyName]) if (value) expect(text).not.toContain(value);
  }
  expect(text).not.toContain(AUTH.password);
});
