/**
 * What the SCIM transport reports for metrics (the worker exports it as
 * scim_import_scim_responses_total, _retries_total and _rate_limit_wait*): every HTTP answer with
 * its status, every retry with its reason, and the time requests waited for a rate limit, the
 * connector's own or a server's 429 Retry-After.
 */
import type { ServerResponse } from 'node:http';
import { ScimClient, type ScimLogger, type ScimMetrics } from '../../libs/scim/src';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server';

function recorder() {
  const seen = {
    responses: [] as number[],
    retries: [] as string[],
    waits: [] as Array<{ source: string; ms: number }>,
    warnings: [] as Array<{ msg: string; meta?: Record<string, unknown> }>,
  };
  const logger: ScimLogger = { debug: () => undefined, warn: (msg, meta) => seen.warnings.push({ msg, meta: meta as Record<string, unknown> }) };
  const metrics: ScimMetrics = {
    response: (status) => seen.responses.push(status),
    retry: (reason) => seen.retries.push(reason),
    rateLimitWait: (source, ms) => seen.waits.push({ source, ms }),
  };
  return { seen, metrics, logger };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/scim+json', ...headers });
  res.end(JSON.stringify(body));
};

let server: LoopbackServer;
let baseUrl: string;
let answer: (n: number, res: ServerResponse) => void;
let requests = 0;

beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => answer(++requests, res));
  baseUrl = `${server.origin}/scim/v2`;
});
afterAll(() => server?.close());
beforeEach(() => {
  requests = 0;
});

it('reports each answer, the retries of a 429 and a 503, and the server-imposed wait', async () => {
  answer = (n, res) => {
    if (n === 1) json(res, 429, { status: '429', detail: 'slow down' }, { 'retry-after': '0' });
    else if (n === 2) json(res, 503, { status: '503', detail: 'busy' });
    else json(res, 200, { id: 'u1' });
  };
  const { seen, metrics, logger } = recorder();
  const client = new ScimClient({ baseUrl, auth: { type: 'bearer', token: 'tkn-metrics' } }, { metrics, logger, maxAttemptsPerRequest: 3 });
  await client.getResource('/Users', 'u1');
  await client.close();
  expect(seen.responses).toEqual([429, 503, 200]);
  expect(seen.retries).toEqual(['429', '503']);
  expect(seen.waits.filter((w) => w.source === 'server')).toHaveLength(1);
  // every retry is a warning; the server's rate limit says so
  const retries = seen.warnings.filter((w) => w.msg === 'SCIM request will be retried');
  expect(retries.map((w) => w.meta?.rateLimited)).toEqual([true, undefined]);
  expect(JSON.stringify(seen.warnings)).not.toContain('tkn-metrics');
});

it("reports the time requests waited for the connector's own rate limit", async () => {
  answer = (_n, res) => json(res, 200, { id: 'u1' });
  const { seen, metrics, logger } = recorder();
  const client = new ScimClient({ baseUrl, auth: { type: 'bearer', token: 'tkn-metrics' }, rateLimitPerSecond: 5 }, { metrics, logger });
  // five ride the burst; the other three wait for tokens
  await Promise.all(Array.from({ length: 8 }, () => client.getResource('/Users', 'u1')));
  await client.close();
  expect(seen.responses).toEqual(Array(8).fill(200));
  const clientWaits = seen.waits.filter((w) => w.source === 'client');
  expect(clientWaits.length).toBeGreaterThanOrEqual(3);
  expect(clientWaits.every((w) => w.ms > 0)).toBe(true);
  expect(seen.retries).toEqual([]);
  // the first wait is a warning; the rest of a throttled burst is summed into the next one, not a line each
  const limited = seen.warnings.filter((w) => w.msg.includes("connector's rate limit"));
  expect(limited).toHaveLength(1);
  expect(limited[0].meta).toMatchObject({ rateLimitPerSecond: 5, waits: 1 });
});
