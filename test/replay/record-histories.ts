/**
 * Records the histories the replay test (test/replay/replay-histories.spec.ts) replays: one real
 * run of every shape an import run can take, on today's workflow code, with the real worker,
 * activities, PostgreSQL, demo SCIM servers and the Temporal dev server. Each Temporal execution of
 * a run's workflow id is its own file: `<shape>.json`, or `<shape>-<i>-of-<n>.json` when the run
 * continued as new or was resumed by a reset. test/replay/histories/README.md lists them with the
 * commit they were recorded on.
 *
 *   npm run record:histories                       # every shape
 *   npm run record:histories -- -t waiting-approved  # only the shapes whose name matches
 *
 * It runs under Jest (test/replay/record-histories.jest.config.js) because the API needs decorator
 * metadata and Jest's global setup already starts an embedded PostgreSQL and a Temporal dev server.
 * Faults are injected in the worker's activities only (a load outage, staging emptied once before
 * finish, a slow source): the workflow and the API are the production code.
 * How to add a shape: docs/operations.md ("Workflow changes and replay").
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowIdPrefixForTask } from '../../libs/temporal/src';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import type { ApiHarness } from '../support/api-harness';
import { startStack, type Stack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';
import { eventually } from '../support/fixtures';
import { finishRunLosingStaging } from '../support/staging-loss';
import { noFaults, withFaults } from '../support/activity-faults';
import { runApi, scimServerPool, type RunApi, type RunBody, type TargetCodes } from '../e2e/support/run-api';

const ROOT = resolve(__dirname, '..', '..');
const OUT = resolve(process.env.HISTORIES_DIR ?? join(__dirname, 'histories'));
const INDEX = join(OUT, 'README.md');
const USER = 'svc-import';
const PASSWORD = `Pw-${randomBytes(12).toString('hex')}`;

type History = temporal.api.history.v1.IHistory;

// the failures the shapes provoke would each log a warning with a stack trace; real trouble fails a shape
Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: Stack;
let api: ApiHarness;
let rest: RunApi;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let commit: string;
const scimServers = scimServerPool(USER, PASSWORD);
/** shape → files written by this recording, for the index */
const recorded = new Map<string, { files: string[]; what: string }>();

/** Test switches read by the worker's activity wrappers. */
const faults = {
  ...noFaults(),
  /** tasks whose staging is emptied once, right before finish, as PostgreSQL crash recovery would */
  loseStagingOnce: new Set<string>(),
};

/** The commit the workflow code comes from; a recording of uncommitted workflow code would name no code. */
function workflowCommit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--', 'workflows', 'libs/temporal/src/contracts.ts');
  if (dirty && process.env.RECORD_DIRTY !== '1') {
    throw new Error(`the workflow code has uncommitted changes; commit them first (or RECORD_DIRTY=1 for a throw-away recording):\n${dirty}`);
  }
  const head = git('rev-parse', '--short=7', 'HEAD');
  const lastChange = git('log', '-1', '--format=%h', '--abbrev=7', '--', 'workflows');
  return `${head}${dirty ? '+dirty' : ''}${lastChange && lastChange !== head ? ` (workflows/ as of ${lastChange})` : ''}`;
}

beforeAll(async () => {
  commit = workflowCommit();
  mkdirSync(OUT, { recursive: true });
  stack = await startStack({
    // the production task queue name, so the histories look like production ones
    taskQueue: 'scim-import',
    api: true,
    worker: ({ ds }) => ({
      // a cancel reaches a running activity with its next heartbeat
      maxHeartbeatThrottleInterval: '300ms',
      activities: (activities) => ({
        ...withFaults(activities, faults),
        finishRun: finishRunLosingStaging(ds, activities, (taskId) => faults.loseStagingOnce.delete(taskId)),
      }),
    }),
  });
  ({ api, client, bundle } = stack);
  rest = runApi(api);
  // the secret check sees through the base64 of payloads
  const payload = { metadata: {}, data: Buffer.from(JSON.stringify({ auth: { password: PASSWORD } })).toString('base64') };
  expect(holdsSecret(JSON.stringify({ events: [{ input: { payloads: [payload] } }] }))).toBe(true);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await scimServers.closeAll();
  if (recorded.size) writeIndex();
});

afterEach(() => {
  Object.assign(faults, noFaults());
  faults.loseStagingOnce.clear();
});

// ---------------------------------------------------------------------------------------------
// writing histories

/** Every string a history could leak: the source password, the secret key, the API tokens. */
function secrets(): string[] {
  const key = api.config.secretKey;
  return [
    PASSWORD,
    process.env.SECRET_KEY ?? '',
    key.toString('base64'),
    key.toString('hex'),
    key.toString('base64url'),
    api.adminToken,
    api.readToken,
    process.env.API_TOKEN ?? '',
  ].filter((s) => s.length >= 8);
}

/** The history's text as a reader of the file would see it, with every payload decoded. */
function readableText(json: string): string {
  const parts = [json];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'data' && typeof child === 'string') parts.push(Buffer.from(child, 'base64').toString('utf8'));
        else walk(child);
      }
    }
  };
  walk(JSON.parse(json));
  return parts.join('\n');
}

function holdsSecret(json: string): boolean {
  const text = readableText(json);
  return secrets().some((s) => text.includes(s));
}

/** Executions of a workflow id, oldest first (a continue-as-new or a reset closes the one before). */
async function executions(workflowId: string, expected: number): Promise<Array<{ runId: string; status: string }>> {
  return eventually(async () => {
    const found: Array<{ runId: string; status: string; closeTime?: Date }> = [];
    for await (const e of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      found.push({ runId: e.runId, status: e.status.name, closeTime: e.closeTime });
    }
    if (found.length !== expected || found.some((e) => e.status === 'RUNNING' || !e.closeTime)) return undefined;
    return found.sort((a, b) => a.closeTime!.getTime() - b.closeTime!.getTime());
  }, 60_000, 250);
}

/**
 * Writes every execution of the workflow as `<shape>.json` or `<shape>-<i>-of-<n>.json`, after
 * checking that it holds no secret and replays on the code that produced it.
 */
async function record(shape: string, what: string, workflowId: string, expected: { executions: number; statuses?: string[] }): Promise<History[]> {
  const list = await executions(workflowId, expected.executions);
  if (expected.statuses) expect(list.map((e) => e.status)).toEqual(expected.statuses);
  const files: string[] = [];
  const histories: History[] = [];
  for (const [i, e] of list.entries()) {
    const file = list.length === 1 ? `${shape}.json` : `${shape}-${i + 1}-of-${list.length}.json`;
    const history = await client.workflow.getHandle(workflowId, e.runId).fetchHistory();
    const json = historyToJSON(history);
    if (holdsSecret(json)) throw new Error(`${file}: the history holds a secret (the source password, the secret key or an API token); not written`);
    await Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history, workflowId);
    writeFileSync(join(OUT, file), `${json}\n`);
    files.push(file);
    histories.push(history);
  }
  recorded.set(shape, { files, what });
  process.stdout.write(`recorded ${shape}: ${files.join(', ')}\n`);
  return histories;
}

/** Activity types scheduled in a history, in order. */
function activities(history: History): string[] {
  return (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => !!n);
}

const GENERATED_START = '<!-- recorded by test/replay/record-histories.ts: start -->';
const GENERATED_END = '<!-- recorded by test/replay/record-histories.ts: end -->';

/** Rewrites the recorder's rows of the index; rows of shapes not recorded this time and the prose around them stay. */
function writeIndex(): void {
  let text: string;
  try {
    text = readFileSync(INDEX, 'utf8');
  } catch {
    text = `# Recorded workflow histories\n\nReplayed by test/replay/replay-histories.spec.ts; how to add one: docs/operations.md ("Workflow changes and replay").\n\n${GENERATED_START}\n${GENERATED_END}\n`;
  }
  const start = text.indexOf(GENERATED_START);
  const end = text.indexOf(GENERATED_END);
  if (start < 0 || end < start) throw new Error(`${INDEX}: the generated section's markers are missing`);
  const rows = new Map<string, string>();
  for (const line of text.slice(start + GENERATED_START.length, end).split('\n')) {
    const m = /^\| `([\w-]+)` \|/.exec(line);
    if (m) rows.set(m[1], line);
  }
  for (const [shape, r] of recorded) rows.set(shape, `| \`${shape}\` | ${r.what} | ${r.files.map((f) => `\`${f}\``).join(', ')} | ${commit} |`);
  const table = ['| shape | what the run did | files | recorded on |', '| --- | --- | --- | --- |', ...[...rows.keys()].sort().map((k) => rows.get(k)!)];
  writeFileSync(INDEX, `${text.slice(0, start + GENERATED_START.length)}\n${table.join('\n')}\n${text.slice(end)}`);
  process.stdout.write(`index: ${relative(ROOT, INDEX)}\n`);
}

// ---------------------------------------------------------------------------------------------
// driving runs through the REST API

interface Source {
  scim: ScimDemoServer;
  codes: TargetCodes;
  taskId: string;
}

/** A demo source with its own target templates and a task reading it (manual runs only). */
async function source(prefix: string, seed: { users: number; groups: number }, task: Record<string, unknown> = {}): Promise<Source> {
  const scim = await scimServers.start({ ...seed, membersPerUser: seed.groups ? 1 : undefined });
  const codes = await rest.targetStore(prefix);
  const identityOnly = seed.groups ? {} : { mappingsType: 'identityOnly', access: null };
  const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { ...identityOnly, ...task });
  return { scim, codes, taskId };
}

/** Run now and wait for the end; the previous run of the task must have closed in Temporal first. */
async function runToEnd(taskId: string, mode?: 'full' | 'incremental', dryRun?: boolean): Promise<RunBody> {
  await rest.settled(taskId);
  return rest.waitRun((await rest.runNow(taskId, mode, dryRun)).id);
}

/** A source whose first full run succeeded and which then lost half its users: above the 20 % threshold. */
async function halfGone(prefix: string): Promise<Source> {
  const s = await source(prefix, { users: 10, groups: 0 });
  expect(await runToEnd(s.taskId)).toMatchObject({ status: 'succeeded', stats: { created: 10 } });
  for (const id of s.scim.admin.listUserIds().slice(0, 5)) await s.scim.admin.deleteUser(id);
  await rest.settled(s.taskId);
  return s;
}

/** Run now until the run waits for a removal decision in the execution it continued as new into. */
async function waitingRun(s: Source): Promise<RunBody> {
  const started = await rest.runNow(s.taskId);
  const pending = await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
  expect(pending).toMatchObject({ status: 'running', removal: { state: 'awaitingApproval' } });
  // a decision sent before the continue-as-new is taken by the first execution (a shape of its own)
  await eventually(async () => (await client.workflow.getHandle(started.workflowId, started.temporalRunId!).describe()).status.name === 'CONTINUED_AS_NEW', 30_000, 100);
  return pending;
}

// ---------------------------------------------------------------------------------------------
// the shapes

const TIMEOUT = 240_000;

it('full-run', async () => {
  const s = await source('full', { users: 15, groups: 3 });
  const run = await runToEnd(s.taskId);
  expect(run).toMatchObject({ status: 'succeeded', mode: 'full', stats: { created: 18 } });
  const [h] = await record('full-run', 'first full run of an identity-and-access task: every record created', run.workflowId, { executions: 1, statuses: ['COMPLETED'] });
  expect(activities(h)).toEqual(['prepareRun', 'extract', 'extract', 'map', 'diff', 'load', 'reconcileRemovals', 'finishRun']);
}, TIMEOUT);

it('incremental-run', async () => {
  const s = await source('incr', { users: 15, groups: 3 }, { type: 'incremental' });
  expect(await runToEnd(s.taskId)).toMatchObject({ status: 'succeeded', mode: 'full' });
  await s.scim.admin.updateUser(s.scim.admin.listUserIds()[4], { userName: `changed-${randomUUID().slice(0, 8)}@example.com` });
  const run = await runToEnd(s.taskId);
  expect(run).toMatchObject({ status: 'succeeded', mode: 'incremental' });
  const [h] = await record('incremental-run', 'incremental run of an incremental task (after its first, full run): no removal reconciliation', run.workflowId, { executions: 1, statuses: ['COMPLETED'] });
  expect(activities(h)).not.toContain('reconcileRemovals');
}, TIMEOUT);

it('dry-run', async () => {
  const s = await source('dry', { users: 15, groups: 3 });
  const run = await runToEnd(s.taskId, undefined, true);
  expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
  const [h] = await record('dry-run', 'dry run of a full task: recordDryRun instead of load, nothing written', run.workflowId, { executions: 1, statuses: ['COMPLETED'] });
  expect(activities(h)).toContain('recordDryRun');
  expect(activities(h)).not.toContain('load');
}, TIMEOUT);

it('removals-applied', async () => {
  const s = await source('rm', { users: 15, groups: 3 });
  expect(await runToEnd(s.taskId)).toMatchObject({ status: 'succeeded' });
  // 2 of 15 users (13 %) are within the 20 % threshold
  for (const id of s.scim.admin.listUserIds().slice(3, 5)) await s.scim.admin.deleteUser(id);
  const run = await runToEnd(s.taskId);
  expect(run).toMatchObject({ status: 'succeeded', stats: { removed: 2 }, removal: { state: 'applied', decision: 'withinThreshold' } });
  const [h] = await record('removals-applied', 'full run whose removals (2 of 15 users) are within the threshold: applied at once', run.workflowId, { executions: 1, statuses: ['COMPLETED'] });
  expect(activities(h).slice(-3)).toEqual(['reconcileRemovals', 'applyRemovals', 'finishRun']);
}, TIMEOUT);

it('waiting-approved', async () => {
  const s = await halfGone('appr');
  const pending = await waitingRun(s);
  expect((await rest.post(`/api/v1/runs/${pending.id}/approve-removals`)).status).toBe(202);
  expect(await rest.waitRun(pending.id)).toMatchObject({ status: 'succeeded', stats: { removed: 5 }, removal: { state: 'applied', decision: 'approved' } });
  const [, second] = await record('waiting-approved', 'removals above the threshold: the run continues as new to wait, then is approved (applyRemovals)', pending.workflowId, {
    executions: 2,
    statuses: ['CONTINUED_AS_NEW', 'COMPLETED'],
  });
  expect(activities(second)).toEqual(['applyRemovals', 'finishRun']);
}, TIMEOUT);

it('waiting-rejected', async () => {
  const s = await halfGone('rej');
  const pending = await waitingRun(s);
  expect((await rest.post(`/api/v1/runs/${pending.id}/reject-removals`)).status).toBe(202);
  expect(await rest.waitRun(pending.id)).toMatchObject({ status: 'succeeded', stats: { removed: 0 }, removal: { state: 'rejected' } });
  const [, second] = await record('waiting-rejected', 'removals above the threshold: the run continues as new to wait, then is rejected (declineRemovals)', pending.workflowId, {
    executions: 2,
    statuses: ['CONTINUED_AS_NEW', 'COMPLETED'],
  });
  expect(activities(second)).toEqual(['declineRemovals', 'finishRun']);
}, TIMEOUT);

/** A run started as the API starts one, with a decision window of 3 s (only a hand-started run can shorten it). */
async function expiringRun(s: Source, runTimeout: boolean): Promise<string> {
  const workflowId = `${workflowIdPrefixForTask(s.taskId)}-expiry-${new Date().toISOString()}`;
  const handle = await startImportWorkflow(client, {
    input: { taskId: s.taskId, trigger: 'manual', mode: 'full', removalDecisionTimeoutMs: 3000 },
    taskQueue: api.config.taskQueue,
    workflowId,
    ...(!runTimeout && { runTimeout: null }),
  });
  await handle.result();
  const rows: Array<{ id: string }> = await api.ds.query(`SELECT id FROM run WHERE workflow_id = $1`, [workflowId]);
  expect(await rest.run(rows[0].id)).toMatchObject({ status: 'succeeded', stats: { removed: 0 }, removal: { state: 'expired' } });
  return workflowId;
}

it('waiting-expired', async () => {
  const s = await halfGone('exp');
  const workflowId = await expiringRun(s, true);
  const [, second] = await record('waiting-expired', 'removals above the threshold: the run continues as new to wait and the decision window (3 s) expires', workflowId, {
    executions: 2,
    statuses: ['CONTINUED_AS_NEW', 'COMPLETED'],
  });
  expect(activities(second)).toEqual(['declineRemovals', 'finishRun']);
}, TIMEOUT);

it('waiting-expired-no-run-timeout', async () => {
  const s = await halfGone('exp1');
  const workflowId = await expiringRun(s, false);
  await record('waiting-expired-no-run-timeout', 'a run started without a run timeout waits in its own execution (no continue-as-new) until the window expires', workflowId, {
    executions: 1,
    statuses: ['COMPLETED'],
  });
}, TIMEOUT);

it('approved-before-reconcile-returned', async () => {
  const s = await halfGone('eappr');
  faults.reconcileTailMs = 2_000;
  const started = await rest.runNow(s.taskId);
  await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
  // the decideRemovals Update waits for reconcile's result, then the run applies without continuing as new
  expect((await rest.post(`/api/v1/runs/${started.id}/approve-removals`)).status).toBe(202);
  expect(await rest.waitRun(started.id)).toMatchObject({ status: 'succeeded', stats: { removed: 5 }, removal: { state: 'applied', decision: 'approved' } });
  const [h] = await record('approved-before-reconcile-returned', 'the decideRemovals Update arrives while reconcile is still returning: answered once it returns, removals applied in the same execution', started.workflowId, {
    executions: 1,
    statuses: ['COMPLETED'],
  });
  expect(activities(h).slice(-3)).toEqual(['reconcileRemovals', 'applyRemovals', 'finishRun']);
}, TIMEOUT);

it('cancelled-before-continue-as-new', async () => {
  const s = await halfGone('ccan');
  faults.reconcileTailMs = 2_000;
  const started = await rest.runNow(s.taskId);
  await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
  // the cancel lands while reconcile returns: the run ends cancelled rather than continuing as new without it
  expect((await rest.post(`/api/v1/runs/${started.id}/cancel`)).status).toBe(202);
  expect(await rest.waitRun(started.id)).toMatchObject({ status: 'cancelled', removal: { state: 'cancelled', removed: 0 } });
  const [h] = await record('cancelled-before-continue-as-new', 'cancelled while reconcile returns with removals to decide: the run ends cancelled (patch cancel-before-continue-as-new) instead of continuing as new', started.workflowId, {
    executions: 1,
    statuses: ['CANCELLED'],
  });
  expect(activities(h).slice(-2)).toEqual(['reconcileRemovals', 'cancelRun']);
}, TIMEOUT);

it('waiting-cancelled', async () => {
  const s = await halfGone('wcan');
  const pending = await waitingRun(s);
  expect((await rest.post(`/api/v1/runs/${pending.id}/cancel`)).status).toBe(202);
  expect(await rest.waitRun(pending.id)).toMatchObject({ status: 'cancelled', removal: { state: 'cancelled', removed: 0 } });
  await record('waiting-cancelled', 'removals above the threshold: the run continues as new to wait and is cancelled while it waits (cancelRun)', pending.workflowId, {
    executions: 2,
    statuses: ['CONTINUED_AS_NEW', 'CANCELLED'],
  });
}, TIMEOUT);

it('cancelled-during-extract', async () => {
  const s = await source('cext', { users: 15, groups: 3 });
  // every listing page (5 records) answers after 1 s: the run is in extract for several seconds
  s.scim.setQuirks({ listLatencyMs: 1000 });
  const started = await rest.runNow(s.taskId);
  await rest.waitRun(started.id, (r) => r.status !== 'running' || r.phase === 'extract', 30_000);
  expect((await rest.post(`/api/v1/runs/${started.id}/cancel`)).status).toBe(202);
  const run = await rest.waitRun(started.id, (r) => r.status !== 'running', 60_000);
  expect(run).toMatchObject({ status: 'cancelled' });
  s.scim.setQuirks({});
  const [h] = await record('cancelled-during-extract', 'run cancelled while it reads the source (cancelRun after the extract activity stopped)', run.workflowId, {
    executions: 1,
    statuses: ['CANCELLED'],
  });
  expect(activities(h)).toEqual(['prepareRun', 'extract', 'cancelRun']);
}, TIMEOUT);

it('staging-lost-redone', async () => {
  const s = await source('lost', { users: 15, groups: 3 });
  faults.loseStagingOnce.add(s.taskId);
  const run = await runToEnd(s.taskId);
  expect(run).toMatchObject({ status: 'succeeded', stats: { created: 18 } });
  const [h] = await record('staging-lost-redone', 'staging emptied before finish (StagingLostError): the run reads its source again from the first extract and succeeds', run.workflowId, {
    executions: 1,
    statuses: ['COMPLETED'],
  });
  expect(activities(h).filter((a) => a === 'extract')).toHaveLength(4);
  expect(activities(h).filter((a) => a === 'finishRun')).toHaveLength(2);
}, TIMEOUT);

it('resumed-by-reset', async () => {
  const s = await source('resume', { users: 15, groups: 3 });
  faults.loadOutages = 1;
  const failed = await runToEnd(s.taskId);
  expect(failed).toMatchObject({ status: 'failed', error: { type: 'SimulatedOutage' } });
  await rest.settled(s.taskId);
  const retry = await rest.post(`/api/v1/runs/${failed.id}/retry`, { strategy: 'resume' });
  expect(retry.status).toBe(202);
  const done = await rest.waitRun((retry.body as RunBody).id);
  expect(done).toMatchObject({ status: 'succeeded', workflowId: failed.workflowId, stats: { created: 18 } });
  const [first, second] = await record('resumed-by-reset', 'load fails (recordFailure), then POST /runs/:id/retry {strategy: resume} resets the workflow to before load', failed.workflowId, {
    executions: 2,
    statuses: ['FAILED', 'COMPLETED'],
  });
  expect(activities(first).slice(-2)).toEqual(['load', 'recordFailure']);
  expect(activities(second).slice(-3)).toEqual(['load', 'reconcileRemovals', 'finishRun']);
}, TIMEOUT);

it('failed-with-failure-record', async () => {
  const s = await source('fail', { users: 15, groups: 3 });
  // the source now wants another password: extract fails without retries
  s.scim.setAuth({ basic: { username: USER, password: `Rotated-${randomBytes(8).toString('hex')}` } });
  const run = await runToEnd(s.taskId);
  expect(run).toMatchObject({ status: 'failed', error: { type: 'ScimAuthError' } });
  expect(await rest.datacards({ template: s.codes.failure, taskId: s.taskId })).toHaveLength(1);
  const [h] = await record('failed-with-failure-record', 'the source rejects the credentials (ScimAuthError): the run writes its failure record and fails', run.workflowId, {
    executions: 1,
    statuses: ['FAILED'],
  });
  expect(activities(h)).toEqual(['prepareRun', 'extract', 'recordFailure']);
}, TIMEOUT);
