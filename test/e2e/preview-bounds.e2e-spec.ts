/**
 * Task previews are bounded, through the REST API on a real listening port against real demo SCIM
 * servers (slowed by the quirk layer) and the real database: a client that disconnects stops the
 * reading at the source, previews beyond PREVIEW_MAX_CONCURRENT answer 429 with Retry-After, a
 * preview past PREVIEW_TIMEOUT_SECONDS answers 504 and stops reading, and an answer larger than
 * PREVIEW_MAX_RESPONSE_BYTES is not read. Requests are counted at the source; nothing is timed
 * beyond generous bounds.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import type { ScimQuirks } from '../../apps/scim-demo/src/demo-types';
import { PreviewGate } from '../../apps/api/src/tasks/preview-gate';
import { startApi, type ApiHarness } from '../support/api-harness';
import { eventually, taskBody, uniq } from '../support/fixtures';
import { runApi, scimServerPool, type TargetCodes } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
/** Records a slow preview asks for: at 5 per page, far more pages than any test waits for. */
const MANY = 400;
const QUIET_MS = 2_000;

let api: ApiHarness;
/** The same API code with a 2 s preview deadline. */
let short: ApiHarness;
let codes: TargetCodes;
const scimServers = scimServerPool(USER, PASSWORD);
const listening: string[] = [];

beforeAll(async () => {
  api = await startApi({ previewTimeoutMs: 120_000, previewMaxConcurrent: 2, previewMaxResponseBytes: 2 * 1024 * 1024 });
  short = await startApi({ previewTimeoutMs: 2_000 });
  for (const h of [api, short]) {
    const server = h.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    listening.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  codes = await runApi(api).targetStore('pb');
}, 120_000);

afterAll(async () => {
  await api?.close();
  await short?.close();
  await scimServers.closeAll();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source of MANY users behind a connector that reads 5 records a page, with the given quirks. */
async function slowSource(quirks: ScimQuirks): Promise<{ scim: ScimDemoServer; body: Record<string, unknown> }> {
  const scim = await scimServers.start({ users: MANY, groups: 2, membersPerUser: 1 });
  scim.setQuirks(quirks);
  const res = await api
    .http()
    .post('/api/v1/connectors')
    .set({ Authorization: `Bearer ${api.adminToken}` })
    .send({ name: uniq('conn'), baseUrl: scim.url, auth: { type: 'basic', username: USER, password: PASSWORD }, pageSize: 5 });
  expect(res.status).toBe(201);
  const base = taskBody(res.body.id as string, { schedule: null, filters: null }) as Record<string, unknown> & { identity: object; access: object };
  const body = {
    ...base,
    failure: { templateCode: codes.failure, folderCode: codes.failure, attributeCode: 'message' },
    identity: { ...base.identity, templateCode: codes.account, folderCode: codes.account },
    access: { ...base.access, templateCode: codes.entitlement, folderCode: codes.entitlement },
  };
  return { scim, body };
}

/** POST /tasks/preview over a real connection that the caller can abort (a client giving up). */
function preview(on: ApiHarness, body: object, signal?: AbortSignal): Promise<Response> {
  const base = listening[on === api ? 0 : 1];
  return fetch(`${base}/api/v1/tasks/preview?limit=${MANY}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${on.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** The preview's work has ended (its slot is free) and the source then sees no request for QUIET_MS. */
async function sourceGoesQuiet(on: ApiHarness, scim: ScimDemoServer): Promise<number> {
  const gate = on.app.get(PreviewGate);
  await eventually(async () => gate.inProgress === 0, 10_000, 50);
  const after = scim.requestCount();
  await sleep(QUIET_MS);
  expect(scim.requestCount()).toBe(after);
  return after;
}

describe('a bounded preview', () => {
  it('a client that disconnects stops the reading: the source sees no further request', async () => {
    const { scim, body } = await slowSource({ listLatencyMs: 200 });
    const before = scim.requestCount();
    const client = new AbortController();
    const answer = preview(api, body, client.signal);
    answer.catch(() => undefined);
    // the preview is paging through the source
    await eventually(async () => scim.requestCount() >= before + 4, 20_000, 20);
    client.abort();
    await expect(answer).rejects.toThrow();
    const read = (await sourceGoesQuiet(api, scim)) - before;
    // MANY / 5 pages would have been read without the cancellation
    expect(read).toBeLessThan(MANY / 5);
  });

  it('previews beyond PREVIEW_MAX_CONCURRENT answer 429 with Retry-After; a freed slot serves the next one', async () => {
    const { scim, body } = await slowSource({ listLatencyMs: 60_000 });
    const gate = api.app.get(PreviewGate);
    const clients = [new AbortController(), new AbortController()];
    const running = clients.map((c) => preview(api, body, c.signal));
    for (const r of running) r.catch(() => undefined);
    await eventually(async () => gate.inProgress === 2, 20_000, 20);

    const refused = await preview(api, body);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const problem = (await refused.json()) as { status: number; title: string; detail: string };
    expect(problem).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(problem.detail).toMatch(/PREVIEW_MAX_CONCURRENT/);

    for (const c of clients) c.abort();
    await sourceGoesQuiet(api, scim);
    scim.setQuirks({});
    const served = await preview(api, body);
    expect(served.status).toBe(200);
    const result = (await served.json()) as { resources: Array<{ path: string; sampled: number }> };
    expect(result.resources.find((r) => r.path === '/Users')?.sampled).toBe(MANY);
  });

  it('a preview past PREVIEW_TIMEOUT_SECONDS answers 504 naming the deadline and stops reading', async () => {
    const { scim, body } = await slowSource({ listLatencyMs: 300 });
    const before = scim.requestCount();
    const res = await preview(short, body);
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as { status: number; title: string; detail: string };
    expect(problem).toMatchObject({ status: 504, title: 'Gateway Timeout' });
    expect(problem.detail).toMatch(/within 2 s \(PREVIEW_TIMEOUT_SECONDS\)/);
    expect((await sourceGoesQuiet(short, scim)) - before).toBeLessThan(MANY / 5);
  });

  it('an answer larger than PREVIEW_MAX_RESPONSE_BYTES is not read: 502 naming the limit, the API stays bounded', async () => {
    const { body } = await slowSource({ hugePage: { bytes: 64 * 1024 * 1024 } });
    const res = await preview(api, body);
    expect(res.status).toBe(502);
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toMatch(/larger than a preview reads \(2097152 bytes, PREVIEW_MAX_RESPONSE_BYTES/);
    expect(api.app.get(PreviewGate).inProgress).toBe(0);
  });
});
