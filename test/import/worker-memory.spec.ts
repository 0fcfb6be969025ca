/**
 * The worker never dies from a source's data, and a crash never repeats forever. A worker process
 * started as production starts it (WORKER_NODE_FLAGS: the 384 MB heap cap) reads from a small
 * SCIM server of this file that streams (a) a 100 MB page, (b) one group of 2,000,000 members,
 * (c) a page that never comes, while the test kills the worker twice at that same position.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';
import { startStack, type Stack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';
import { eventually } from '../support/fixtures';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore } from './support/import-fixtures';
import { endWorkerProcess } from '../support/worker-process';

const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `worker-memory-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };
const MiB = 1024 * 1024;
const { EventType } = temporal.api.enums.v1;

let stack: Stack;
let config: AppConfig;
let ds: DataSource;
let client: Client;
let source: Server;
let sourceUrl: string;
const sockets = new Set<Socket>();
/** requests for the stalled page, by the time they arrived */
let stalledRequests = 0;
/** the failure template of each scenario's task */
const failureTemplates = new Map<string, string>();

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const user = (i: number) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: `u-${i}`, userName: `user.${i}@example.com`, displayName: `User ${i}` });
const list = (resources: unknown[], total = resources.length, startIndex = 1) => ({ schemas: [LIST], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources });

/** Writes `parts()` as one streamed body, respecting backpressure, until it ends or the client hangs up. */
function stream(res: ServerResponse, parts: Iterator<string>): void {
  res.writeHead(200, { 'content-type': 'application/scim+json' });
  let closed = false;
  res.once('close', () => (closed = true));
  const pump = () => {
    for (;;) {
      if (closed) return;
      const next = parts.next();
      if (next.done) {
        res.end();
        return;
      }
      if (!res.write(next.value)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** A 100 MB page of users, in 64 KiB writes. */
function* hugeUserPage(bytes: number): Generator<string> {
  yield `{"schemas":["${LIST}"],"totalResults":200000,"startIndex":1,"itemsPerPage":200000,"Resources":[`;
  let sent = 0;
  for (let i = 0; sent < bytes; ) {
    let chunk = '';
    for (; chunk.length < 64 * 1024; i++) chunk += `${i === 0 ? '' : ','}${JSON.stringify({ ...user(i), displayName: 'x'.repeat(400) })}`;
    sent += chunk.length;
    yield chunk;
  }
  yield ']}';
}

/** One group ("Everyone") of `members` members, after two users that exist. */
function* hugeGroupPage(members: number): Generator<string> {
  yield `{"schemas":["${LIST}"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"g-everyone","displayName":"Everyone","members":[`;
  for (let i = 0; i < members; ) {
    let chunk = '';
    for (let n = 0; n < 4096 && i < members; n++, i++) chunk += `${i === 0 ? '' : ','}{"value":"u-${i}"}`;
    yield chunk;
  }
  yield ']}]}';
}

/** The SCIM source: /<scenario>/Users and /<scenario>/Groups. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const [, scenario, resource] = url.pathname.split('/');
  const json = (body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/scim+json' });
    res.end(JSON.stringify(body));
  };
  if (resource === 'ServiceProviderConfig') return json({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], filter: { supported: true, maxResults: 1000 } });
  const startIndex = Number(url.searchParams.get('startIndex') ?? '1');
  const sortedDescending = url.searchParams.get('sortOrder') === 'descending';
  if (scenario === 'huge' && resource === 'Users' && !sortedDescending) return stream(res, hugeUserPage(100 * MiB));
  if (scenario === 'group' && resource === 'Groups' && !sortedDescending) return stream(res, hugeGroupPage(2_000_000));
  if (scenario === 'stall' && resource === 'Users' && startIndex > 2) {
    // the second page never comes: the worker is killed while it waits for it
    stalledRequests++;
    return;
  }
  if (resource === 'Users') {
    const users = scenario === 'stall' ? [user(1), user(2), user(3)] : [user(1), user(2)];
    return json(list(users.slice(startIndex - 1, startIndex + 1), users.length, startIndex));
  }
  json(list([]));
}

/** Starts a worker process as production starts it; resolves once it polls. */
function startWorker(): Promise<ChildProcess> {
  return stack.spawnWorker({ nodeFlags: WORKER_NODE_FLAGS, child: { logActivities: true } });
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

const killed = (child: ChildProcess) => endWorkerProcess(child);

/** A task on `/<scenario>` of the source, its connector stored with `maxResponseBytes` (as an older API allowed). */
async function task(scenario: string, maxResponseBytes?: number): Promise<string> {
  const codes = await seedTargetStore(ds, `${SUFFIX}${scenario}`);
  failureTemplates.set(scenario, codes.failure);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: `${sourceUrl}/${scenario}`, ...AUTH, pageSize: 2 });
  if (maxResponseBytes) await ds.query(`UPDATE connector SET max_response_bytes = $2 WHERE id = $1`, [connectorId, maxResponseBytes]);
  return insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
}

/** Runs the task to its end; returns the run row, the failure type and the attempts of each activity type. */
async function runToEnd(taskId: string, tag: string) {
  const workflowId = `import-task-${taskId}-${tag}`;
  const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });
  let failureType: string | undefined;
  await handle.result().catch((err: unknown) => {
    if (!(err instanceof WorkflowFailedError)) throw err;
    failureType = (err.cause as { type?: string } | undefined)?.type;
  });
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const attempts: Record<string, number[]> = {};
  for (const e of history.events ?? []) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const type = scheduled.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId)) ?? '';
      (attempts[type] ??= []).push(e.activityTaskStartedEventAttributes?.attempt ?? 0);
    }
  }
  return { workflowId, handle, run: await runOf(ds, workflowId), failureType, attempts };
}

beforeAll(async () => {
  stack = await startStack({ taskQueue: TASK_QUEUE, bundleFile: true });
  ({ config, ds, client } = stack);
  source = createServer(handle);
  source.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
  stack.onStop(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => source.close(r));
  });
}, 180_000);

afterAll(() => stack?.stop());

describe('a worker with the production heap cap', () => {
  let worker: ChildProcess;
  beforeAll(async () => {
    worker = await startWorker();
  }, 60_000);
  afterAll(async () => {
    if (alive(worker)) await killed(worker);
  });

  it('fed a 100 MB page under a connector limit of 128 MiB, stays alive: the run fails once, naming the page and what this worker holds', async () => {
    const { run, failureType, attempts } = await runToEnd(await task('huge', 128 * MiB), 'huge');
    expect(failureType).toBe('ScimResponseTooLargeError');
    expect(run.status).toBe('failed');
    const message = String((run.error as { message?: string } | null)?.message);
    expect(message).toContain(`${sourceUrl}/huge/Users?startIndex=1&count=2`);
    expect(message).toMatch(/larger than this worker can hold: its heap allows pages up to \d+ MiB \(the connector's maxResponseBytes is 128 MiB\)/);
    expect(message).toMatch(/Lower the connector's pageSize/);
    expect(attempts.extract).toEqual([1]);
    expect(alive(worker)).toBe(true);
  }, 120_000);

  it('fed one group of 2,000,000 members, stays alive: the run fails once, naming the group and the bound', async () => {
    // about 42 MB: within the largest maxResponseBytes the API accepts (64 MiB), so the page is read and parsed
    const { run, failureType, attempts } = await runToEnd(await task('group', 64 * MiB), 'group');
    expect(failureType).toBe('GroupTooLargeError');
    expect(run.status).toBe('failed');
    expect(String((run.error as { message?: string } | null)?.message)).toMatch(
      /group g-everyone "Everyone" of \/Groups has 2000000 members; this worker's heap holds groups of up to \d+ members/,
    );
    // users were read once, the groups' extract failed once
    expect(attempts.extract).toEqual([1, 1]);
    expect(alive(worker)).toBe(true);

    // the same worker imports the next task
    const next = await runToEnd(await task('small'), 'small');
    expect(next.run.status).toBe('succeeded');
    expect(next.run.stats).toMatchObject({ fetched: 2, created: 2 });
    expect(alive(worker)).toBe(true);
  }, 120_000);
});

describe('a worker that dies twice at the same position of an activity', () => {
  it('fails the run with WorkerCrashLoopError instead of killing the next worker too; the next worker keeps working', async () => {
    const taskId = await task('stall');
    const workflowId = `import-task-${taskId}-stall`;
    const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });
    // two workers die while extract waits for the second page of /Users (the first page is staged)
    const stagedPages = async () => {
      const rows: Array<{ pages: number }> = await ds.query(
        `SELECT e.pages FROM run_extract e JOIN run r ON r.id = e.run_id WHERE r.workflow_id = $1 AND e.resource = 'identity'`,
        [workflowId],
      );
      return rows[0]?.pages ?? 0;
    };
    for (let crash = 1; crash <= 2; crash++) {
      const worker = await startWorker();
      // the kill lands after the first page committed (a retry that stages it again made progress)
      await eventually(async () => stalledRequests >= crash && (await stagedPages()) === 1, 90_000, 100);
      await killed(worker);
    }
    const survivor = await startWorker();
    const failed = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect(((failed as WorkflowFailedError).cause as { type?: string }).type).toBe('WorkerCrashLoopError');
    const run = await runOf(ds, workflowId);
    expect(run.status).toBe('failed');
    expect(String((run.error as { message?: string } | null)?.message)).toMatch(/the worker process stopped 2 times during extract .*(page 2 of identity|before its first progress report)/);
    // the third attempt did not read the page the first two died on
    expect(stalledRequests).toBe(2);
    // one failure record, saying why
    const cards: Array<{ attributes: Record<string, unknown> }> = await ds.query(`SELECT attributes FROM datacard WHERE template_code = $1`, [failureTemplates.get('stall')]);
    expect(cards).toHaveLength(1);
    expect(JSON.stringify(cards[0].attributes)).toContain('WorkerCrashLoopError');

    expect(alive(survivor)).toBe(true);
    const next = await runToEnd(await task('after'), 'after');
    expect(next.run.status).toBe('succeeded');
    expect(alive(survivor)).toBe(true);
    await killed(survivor);
  }, 240_000);
});
