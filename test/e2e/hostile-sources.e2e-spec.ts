/**
 * SCIM sources that hurt, end to end through the REST API and a worker in its own process with the
 * production heap cap (384 MB): a 200 MB page, a source that takes 20 s per page, a page that
 * stalls until the run is cancelled, servers that echo the credentials they receive, and a
 * cursor-only server. Every source is the real demo SCIM server with a quirk (the OAuth2 token
 * endpoint that echoes its request is a small HTTP server of this file).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startScimDemoServer, type ScimDemoServer, type ScimQuirks } from '../../apps/scim-demo/src';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';
import type { ApiHarness } from '../support/api-harness';
import { startStack, type Stack } from '../support/e2e-stack';
import { DETAIL_WORDS, ECHO_ANSWERS, hostileSecret, leakNeedles, startEchoingSource, type EchoMode } from '../support/echoing-source';
import { eventually, uniq } from '../support/fixtures';
import { runApi, type RunApi, type RunBody, type TargetCodes } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const BASIC_VALUE = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const { EventType } = temporal.api.enums.v1;

let stack: Stack;
let api: ApiHarness;
let rest: RunApi;
let client: Client;
let codes: TargetCodes;
let worker: ChildProcess;
let workerLog = '';
let apiLog = '';
const servers: ScimDemoServer[] = [];

/** Everything the API logs, with every argument (errors with their stacks), before any redaction. */
const recordApi = (...args: unknown[]) => {
  apiLog += `${args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`;
};
const apiLogger: LoggerService = { log: recordApi, error: recordApi, warn: recordApi, debug: recordApi, verbose: recordApi, fatal: recordApi };

/** Starts the worker process on the API's task queue; resolves once it polls. */
function startWorkerProcess(): Promise<ChildProcess> {
  return stack.spawnWorker({
    nodeFlags: WORKER_NODE_FLAGS,
    child: { logActivities: true },
    onOutput: (text) => (workerLog += text),
    // a graceful shutdown waits for activities; one stuck on a stalled source must not hold the suite
    stopGraceMs: 10_000,
  });
}

async function scimServer(seed: { users: number; groups: number }, quirks: ScimQuirks = {}): Promise<ScimDemoServer> {
  const server = await startScimDemoServer({ auth: { basic: { username: USER, password: PASSWORD } }, seed, quirks });
  servers.push(server);
  return server;
}

async function connector(body: Record<string, unknown>): Promise<string> {
  const res = await rest.post('/api/v1/connectors', { name: uniq('conn'), pageSize: 25, ...body });
  if (res.status !== 201) throw new Error(`connector: HTTP ${res.status} ${res.text}`);
  return res.body.id as string;
}

const basicConnector = (scim: ScimDemoServer, extra: Record<string, unknown> = {}) =>
  connector({ baseUrl: scim.url, auth: { type: 'basic', username: USER, password: PASSWORD }, ...extra });

/** Identity only: one listing per run keeps the slow-source tests short. */
const identityOnly = { mappingsType: 'identityOnly', access: null };

/** A workflow's history as text, payloads decoded, so a search sees what Temporal stored. */
async function historyText(run: RunBody): Promise<string> {
  const handle = client.workflow.getHandle(run.workflowId, run.temporalRunId ?? undefined);
  // the run row is final a moment before the workflow closes; the history must hold the close event too
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      return Buffer.from((value as { data: number[] }).data).toString('utf8');
    }
    return value;
  });
}

/** Attempts of each activity type in a run's history. */
async function attempts(run: RunBody): Promise<Array<{ type: string; attempt: number }>> {
  const handle = client.workflow.getHandle(run.workflowId, run.temporalRunId ?? undefined);
  // an activity's started event is written when it completes: wait for the last one, and the close
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const out: Array<{ type: string; attempt: number }> = [];
  for (const e of history.events ?? []) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
    }
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const a = e.activityTaskStartedEventAttributes;
      out.push({ type: scheduled.get(String(a?.scheduledEventId)) ?? '', attempt: a?.attempt ?? 0 });
    }
  }
  return out;
}

/** Every row of every table of the application schema, as text (a run's staging partition through its parent, staging_record: runs drop theirs as they end). */
async function databaseText(): Promise<string> {
  const tables: Array<{ name: string }> = await api.ds.query(
    `SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'staging\\_run\\_%'`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const [row] = await api.ds.query(`SELECT coalesce(string_agg(t::text, E'\\n'), '') AS text FROM ${name} t`);
    parts.push(`${name}\n${row.text as string}`);
  }
  return parts.join('\n');
}

beforeAll(async () => {
  stack = await startStack({ taskQueue: uniq('e2e-hostile'), api: { logger: apiLogger }, bundleFile: true });
  ({ api, client } = stack);
  rest = runApi(api);
  codes = await rest.targetStore('hostile');
  worker = await startWorkerProcess();
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  for (const s of servers.splice(0)) await s.close();
});

describe('a 200 MB page', () => {
  it('fails the run at once with a clear, non-retryable error naming the page; the worker stays up and runs the next task', async () => {
    const huge = await scimServer({ users: 0, groups: 0 }, { hugePage: { bytes: 200 * 1024 * 1024 } });
    const taskId = await rest.task(await basicConnector(huge), codes);
    const failed = await rest.runToEnd(taskId);
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'ScimResponseTooLargeError' } });
    const message = failed.error?.message ?? '';
    expect(message).toContain(`${huge.url}/Users?startIndex=1&count=25`);
    expect(message).toMatch(/larger than the connector's maxResponseBytes \(32 MiB\): reading stopped after .* MiB\. Lower the connector's pageSize/);
    // non-retryable: extract ran once
    expect((await attempts(failed)).filter((a) => a.type === 'extract').map((a) => a.attempt)).toEqual([1]);
    const [card] = await rest.datacards({ template: codes.failure, taskId });
    expect(String(card.attributes.message)).toMatch(/^ScimResponseTooLargeError: .*pageSize/);

    // the same worker process is alive and imports another source
    expect(worker.exitCode).toBeNull();
    expect(worker.signalCode).toBeNull();
    const healthy = await scimServer({ users: 6, groups: 2 });
    const next = await rest.runToEnd(await rest.task(await basicConnector(healthy), await rest.targetStore('after-huge')));
    expect(next).toMatchObject({ status: 'succeeded', stats: { fetched: 8, created: 8 } });
    expect(worker.exitCode).toBeNull();
  }, 180_000);
});

describe('a page just under the default limit', () => {
  it('imports on the worker with the production heap cap: the default leaves room', async () => {
    const big = await scimServer({ users: 0, groups: 0 }, { hugePage: { bytes: 30 * 1024 * 1024 } });
    const run = await rest.runToEnd(await rest.task(await basicConnector(big), await rest.targetStore('big'), identityOnly));
    // about 33,000 users of 950 bytes in one 30 MiB page, read, mapped, staged and loaded
    expect(run.status).toBe('succeeded');
    expect(run.stats.fetched).toBeGreaterThan(30_000);
    expect(run.stats.created).toBe(run.stats.fetched);
    expect(worker.exitCode).toBeNull();
  }, 300_000);
});

describe('a source that answers each page in 20 s', () => {
  it('imports, slowly: the request timeout (30 s), not the heartbeat timeout, limits a request', async () => {
    const slow = await scimServer({ users: 3, groups: 0 }, { listLatencyMs: 20_000 });
    const taskId = await rest.task(await basicConnector(slow, { timeoutMs: 30_000 }), await rest.targetStore('slow'), identityOnly);
    const run = await rest.runNow(taskId);
    const done = await rest.waitRun(run.id, (r) => r.status !== 'running', 170_000);
    expect(done).toMatchObject({ status: 'succeeded', stats: { fetched: 3, created: 3 } });
    // the listing made at least three 20 s requests (a page and the two order checks) in one extract attempt
    expect((await attempts(done)).filter((a) => a.type === 'extract').map((a) => a.attempt)).toEqual([1]);
    const history = await client.workflow.getHandle(done.workflowId, done.temporalRunId ?? undefined).fetchHistory();
    expect((history.events ?? []).some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)).toBe(false);
  }, 200_000);
});

describe('a cancel while a page stalls', () => {
  it('aborts the request in flight and ends the run cancelled within 15 s', async () => {
    const stalled = await scimServer({ users: 3, groups: 0 }, { listLatencyMs: 600_000 });
    const taskId = await rest.task(await basicConnector(stalled, { timeoutMs: 600_000 }), codes, identityOnly);
    const run = await rest.runNow(taskId);
    // ServiceProviderConfig, then the listing request that stalls
    await eventually(async () => stalled.requestCount() >= 2, 30_000, 100);
    await rest.waitRun(run.id, (r) => r.phase === 'extract', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const cancelledAt = Date.now();
    expect((await rest.post(`/api/v1/runs/${run.id}/cancel`)).status).toBe(202);
    const ended = await rest.waitRun(run.id, (r) => r.status !== 'running', 15_000);
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    expect(ended).toMatchObject({ status: 'cancelled' });
    expect(ended.error).toBeUndefined();
    // the run row says cancelled a moment before the workflow closes
    const handle = client.workflow.getHandle(ended.workflowId, ended.temporalRunId ?? undefined);
    await eventually(async () => (await handle.describe()).status.name === 'CANCELLED', 10_000, 100);
  }, 120_000);
});

describe('servers that echo the credentials they receive', () => {
  /** Asserts no form of `secrets` occurs in any of the texts, naming the place it leaked to. */
  function expectAbsent(places: Record<string, string>, secrets: string[]): void {
    for (const [place, text] of Object.entries(places)) {
      for (const secret of secrets) expect({ place, leaked: text.includes(secret) }).toEqual({ place, leaked: false });
    }
  }

  it('Basic: the password and its Base64 never reach API answers, the run, the failure datacard, Temporal, the database or the worker log', async () => {
    const echo = await scimServer({ users: 3, groups: 0 }, { echoAuthorization: { status: 401 } });
    const connectorId = await basicConnector(echo);
    const testAuth = await rest.post(`/api/v1/connectors/${connectorId}/test-authentication`);
    const testConn = await rest.post(`/api/v1/connectors/${connectorId}/test-connection`);
    expect(testAuth.body).toMatchObject({ ok: false });
    // a 401 is reported by its status alone: nothing of its body is repeated
    expect(testAuth.body.message).toContain('HTTP 401: the server rejected the credentials');
    expect(testAuth.body.message).not.toContain('Rejected request');

    const taskId = await rest.task(connectorId, codes);
    const failed = await rest.runToEnd(taskId);
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'ScimAuthError' } });
    expect(failed.error?.message).toContain('HTTP 401: the server rejected the credentials');
    const cards = await rest.datacards({ template: codes.failure, taskId });
    expect(cards).toHaveLength(1);
    const history = await historyText(failed);
    expect(history).toContain('the server rejected the credentials');

    const places = {
      testAuthentication: JSON.stringify(testAuth.body),
      testConnection: JSON.stringify(testConn.body),
      run: JSON.stringify(await rest.run(failed.id)),
      failureDatacard: JSON.stringify(cards),
      temporalHistory: history,
      database: await databaseText(),
      workerLog,
    };
    expectAbsent(places, [PASSWORD, BASIC_VALUE]);
  }, 120_000);

  it('bearer and OAuth2: the token, the client secret (raw, form-encoded, Basic pair) and the access token stay out of test answers and runs', async () => {
    const token = `tok-${randomUUID()}`;
    const bearerEcho = await scimServer({ users: 1, groups: 0 }, { echoAuthorization: { status: 500 } });
    const bearerId = await connector({ baseUrl: bearerEcho.url, auth: { type: 'bearer', token }, timeoutMs: 5000 });
    const bearerAuth = await rest.post(`/api/v1/connectors/${bearerId}/test-authentication`);
    // a 500's SCIM detail is kept, scrubbed
    expect(bearerAuth.body.message).toContain('Rejected request with Authorization: Bearer ***');

    // a token endpoint that echoes the Authorization header and the form body it was sent
    const clientSecret = `cs ${randomUUID()}/+`;
    const tokenServer: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'application/json', 'x-echo': req.headers.authorization ?? '' });
        res.end(JSON.stringify({ error: 'invalid_client', error_description: `rejected ${req.headers.authorization ?? ''} with ${body}` }));
      });
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    try {
      const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
      const plain = await scimServer({ users: 1, groups: 0 });
      const oauthId = await connector({ baseUrl: plain.url, auth: { type: 'oauth2', tokenUrl, clientId: 'import-client', clientSecret } });
      const oauthAuth = await rest.post(`/api/v1/connectors/${oauthId}/test-authentication`);
      expect(oauthAuth.body).toMatchObject({ ok: false });
      expect(oauthAuth.body.message).toContain('the client id or secret was rejected (invalid_client)');
      const failed = await rest.runToEnd(await rest.task(oauthId, codes));
      expect(failed).toMatchObject({ status: 'failed', error: { type: 'ScimAuthError' } });

      const pair = Buffer.from(`import-client:${encodeURIComponent(clientSecret)}`).toString('base64');
      expectAbsent(
        {
          bearerTestAuthentication: JSON.stringify(bearerAuth.body),
          oauthTestAuthentication: JSON.stringify(oauthAuth.body),
          oauthRun: JSON.stringify(failed),
          temporalHistory: await historyText(failed),
          database: await databaseText(),
          workerLog,
        },
        [token, clientSecret, encodeURIComponent(clientSecret), encodeURIComponent(clientSecret).replace(/%20/g, '+'), pair],
      );
    } finally {
      tokenServer.closeAllConnections();
      await new Promise<void>((r) => tokenServer.close(() => r()));
    }
  }, 120_000);
});

describe('servers that echo the credentials transformed', () => {
  /** Secrets of every case, for the final search of the database and the logs. */
  const allSecrets: string[] = [];
  const auth = {
    basic: () => ({ type: 'basic', username: USER, password: hostileSecret('Pw') }),
    bearer: () => ({ type: 'bearer', token: hostileSecret('Tk', true) }),
    oauth2: (tokenUrl: string) => ({ type: 'oauth2', tokenUrl, clientId: 'import-client', clientSecret: hostileSecret('Cs') }),
  };
  const cases: Array<[string, keyof typeof auth, EchoMode]> = [
    ...(['basic', 'bearer', 'oauth2'] as const).flatMap((type) =>
      ECHO_ANSWERS.map((answer): [string, keyof typeof auth, EchoMode] => [`${type}, ${answer} from the SCIM endpoint`, type, { scim: answer }]),
    ),
    ...ECHO_ANSWERS.map((answer): [string, keyof typeof auth, EchoMode] => [`oauth2, ${answer} from the token endpoint`, 'oauth2', { token: answer, scim: 401 }]),
  ];

  /** Asserts that no needle of any secret occurs in any of the places, naming the place and the needle. */
  function expectNoLeak(places: Record<string, string>, secrets: Iterable<string>): void {
    const needles = [...secrets].flatMap(leakNeedles);
    for (const [place, text] of Object.entries(places)) {
      for (const needle of needles) expect({ place, needle, leaked: text.includes(needle) }).toEqual({ place, needle, leaked: false });
    }
  }

  it.each(cases)(
    '%s: 0 hits in test answers, preview, the run, the failure datacard and Temporal',
    async (_name, type, mode) => {
      const source = await startEchoingSource(mode);
      try {
        const connectorId = await connector({ baseUrl: source.url, auth: type === 'oauth2' ? auth.oauth2(source.tokenUrl) : auth[type](), timeoutMs: 5000 });
        const testAuth = await rest.post(`/api/v1/connectors/${connectorId}/test-authentication`);
        const testConn = await rest.post(`/api/v1/connectors/${connectorId}/test-connection`);
        const taskId = await rest.task(connectorId, codes, identityOnly);
        const preview = await rest.post(`/api/v1/tasks/${taskId}/preview`, {});
        expect(preview.status).not.toBe(200);
        const places: Record<string, string> = {
          testAuthentication: JSON.stringify(testAuth.body),
          testConnection: JSON.stringify(testConn.body),
          preview: JSON.stringify(preview.body),
        };

        // a 5xx with Retry-After: 0 is retried after the shortest wait (1 s), so every case ends failed within seconds
        const run = await rest.runToEnd(taskId);
        expect(run.status).toBe('failed');
        const cards = await rest.datacards({ template: codes.failure, taskId });
        expect(cards).toHaveLength(1);
        places.failureDatacard = JSON.stringify(cards);
        places.run = JSON.stringify(await rest.run(run.id));
        places.runs = JSON.stringify((await api.http().get(`/api/v1/runs?taskId=${taskId}`).set(rest.auth())).body);
        places.temporalHistory = await historyText(run);
        // the searched places really hold this run's failure
        expect(places.temporalHistory).toContain(run.error?.type ?? 'no error type');
        expect(places.failureDatacard).toContain(run.error?.type ?? 'no error type');

        // the source really saw the secrets it echoed
        expect(source.secrets.size).toBeGreaterThan(0);
        allSecrets.push(...source.secrets);
        expectNoLeak(places, source.secrets);
      } finally {
        await source.close();
      }
    },
    120_000,
  );

  it('0 hits of any case in the database, the worker log and the API log', async () => {
    expect(allSecrets.length).toBeGreaterThanOrEqual(cases.length);
    // the searched texts hold the failures, kept SCIM details (masked) included
    expect(workerLog).toContain('the server rejected the credentials');
    expect(workerLog).toContain(`(server said: ${DETAIL_WORDS}: ***`);
    expect(apiLog.length).toBeGreaterThan(0);
    expectNoLeak({ database: await databaseText(), workerLog, apiLog }, allSecrets);
  }, 120_000);
});

describe('a cursor-only server (501 to startIndex, indexPagination false)', () => {
  it('passes test-authentication and imports', async () => {
    const cursorOnly = await scimServer({ users: 30, groups: 3 }, { cursorOnly: true, rejectStartIndexStatus: 501 });
    const connectorId = await basicConnector(cursorOnly);
    const auth = await rest.post(`/api/v1/connectors/${connectorId}/test-authentication`);
    expect(auth.status).toBe(200);
    expect(auth.body).toMatchObject({ ok: true, serviceProvider: { cursorPagination: true } });
    const run = await rest.runToEnd(await rest.task(connectorId, await rest.targetStore('cursor')));
    expect(run).toMatchObject({ status: 'succeeded', stats: { fetched: 33, created: 33 } });
  }, 120_000);
});

describe('connector maxResponseBytes', () => {
  it('defaults to 32 MiB, can be set and reset, and is validated', async () => {
    const scim = await scimServer({ users: 1, groups: 0 });
    const id = await basicConnector(scim);
    const view = async () => (await api.http().get(`/api/v1/connectors/${id}`).set(rest.auth())).body as { maxResponseBytes: number };
    expect((await view()).maxResponseBytes).toBe(32 * 1024 * 1024);
    await api.http().patch(`/api/v1/connectors/${id}`).set(rest.auth()).send({ maxResponseBytes: 1024 * 1024 }).expect(200);
    expect((await view()).maxResponseBytes).toBe(1024 * 1024);
    await api.http().patch(`/api/v1/connectors/${id}`).set(rest.auth()).send({ maxResponseBytes: null }).expect(200);
    expect((await view()).maxResponseBytes).toBe(32 * 1024 * 1024);
    const bad = await rest.post('/api/v1/connectors', { name: uniq('conn'), baseUrl: scim.url, auth: { type: 'basic', username: USER, password: PASSWORD }, maxResponseBytes: 1000 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'maxResponseBytes' })]));
  });

  it('a page over a small limit fails the run with the page named', async () => {
    const scim = await scimServer({ users: 300, groups: 0 });
    const id = await basicConnector(scim, { maxResponseBytes: 64 * 1024, pageSize: 300 });
    const failed = await rest.runToEnd(await rest.task(id, codes, identityOnly));
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'ScimResponseTooLargeError' } });
    expect(failed.error?.message).toContain('/Users?startIndex=1&count=300');
  });
});
