/**
 * Transport behaviour against small local HTTP servers that misbehave on purpose: timeouts,
 * non-SCIM bodies, redirects, Retry-After, rate limiting, discovery fallbacks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ScimClient, ScimConfigError, ScimProtocolError, ScimRetryableError, type ScimConnectionConfig } from '../../libs/scim/src';
import { readListing, recordingLogger } from './scim-test-helpers';
import { startLoopbackServer, type LoopbackServer } from '../support/loopback-server';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const SPC = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  filter: { supported: true },
  patch: { supported: false },
};
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/scim+json', ...headers });
  res.end(JSON.stringify(body));
};

describe('ScimClient transport', () => {
  let server: LoopbackServer;
  let handler: Handler;
  let baseUrl: string;
  const seen: IncomingMessage[] = [];

  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      seen.push(req);
      handler(req, res);
    });
    baseUrl = `${server.origin}/scim/v2`;
  });
  afterAll(() => server?.close());
  beforeEach(() => {
    seen.length = 0;
  });

  const client = (config: Partial<ScimConnectionConfig> = {}, maxAttemptsPerRequest = 3, maxRetryWaitMs?: number) =>
    new ScimClient(
      { baseUrl, auth: { type: 'bearer', token: 'tkn-secret' }, ...config },
      { logger: recordingLogger(), maxAttemptsPerRequest, maxRetryWaitMs },
    );

  it('sends the SCIM Accept header, credentials, and %20-encoded query values', async () => {
    handler = (_req, res) => json(res, 200, { totalResults: 0 });
    const c = client();
    await readListing(c.listResources('/Users', { paging: 'index', filter: 'userName eq "a b"', tailCheck: false }));
    await c.close();
    const req = seen[0];
    expect(req.headers.accept).toBe('application/scim+json, application/json');
    expect(req.headers.authorization).toBe('Bearer tkn-secret');
    expect(req.url).toBe('/scim/v2/Users?filter=userName%20eq%20%22a%20b%22&startIndex=1&count=200');
  });

  it('times out a request that never answers, as a retryable error', async () => {
    handler = () => undefined;
    const c = client({ timeoutMs: 300 }, 1);
    const started = Date.now();
    const error = await c.getResource('/Users', 'x').catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimRetryableError);
    expect((error as Error).message).toMatch(/within 300 ms \(timeout\)/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out a body that stalls halfway', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/scim+json' });
      res.write('{"totalResults": 5, "Resources": [');
    };
    const c = client({ timeoutMs: 300 }, 1);
    const error = await readListing(c.listResources('/Users', { paging: 'index' })).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimRetryableError);
  });

  it('turns an HTML page into ScimProtocolError that describes it without quoting it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><html><title>Sign in</title><body>${'lorem '.repeat(200)}</body></html>`);
    };
    const c = client();
    const error = await readListing(c.listResources('/Users', { paging: 'index' })).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimProtocolError);
    const e = error as ScimProtocolError;
    expect(e.body).toMatch(/^an HTML page \(1\.\d KiB\)$/);
    expect(e.message).not.toContain('Sign in');
    expect(e.message).toContain(`GET ${baseUrl}/Users?startIndex=1&count=200 -> HTTP 200`);
    expect(e.retryable).toBe(false);
  });

  it('turns JSON that is not a ListResponse into ScimProtocolError', async () => {
    handler = (_req, res) => json(res, 200, { users: [{ id: 1 }] });
    const c = client();
    await expect(readListing(c.listResources('/Users', { paging: 'index' }))).rejects.toThrow(/not a SCIM ListResponse/);
    await c.close();
  });

  it('reports a redirect as configuration, saying where it goes without quoting the Location', async () => {
    handler = (_req, res) => {
      res.writeHead(301, { location: 'https://scim.example.com/v2/Users' });
      res.end();
    };
    const c = client();
    const error = await readListing(c.listResources('/Users', { paging: 'index' })).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as Error).message).toContain('the server redirects to another host (over https); set the base URL to the final address');
    expect((error as Error).message).not.toContain('scim.example.com');
  });

  it('retries a 503 after Retry-After and succeeds', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      if (calls === 1) json(res, 503, { status: '503', detail: 'busy' }, { 'retry-after': '0' });
      else json(res, 200, { totalResults: 1, Resources: [{ id: 'only' }] });
    };
    const c = client();
    const { ids, report } = await readListing(c.listResources('/Users', { paging: 'index', tailCheck: false }));
    await c.close();
    expect(ids).toEqual(['only']);
    expect(report.complete).toBe(true);
    expect(calls).toBe(2);
  });

  it('does not sleep through a long Retry-After: it throws with retryAfterMs for the caller to schedule', async () => {
    handler = (_req, res) => json(res, 429, { status: 429, detail: 'slow down' }, { 'retry-after': '120' });
    const c = client({}, 5, 10_000);
    const error = await c.getResource('/Users', 'x').catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimRetryableError);
    expect((error as ScimRetryableError).retryAfterMs).toBe(120_000);
    expect(seen).toHaveLength(1);
  });

  it('gives up after maxAttemptsPerRequest for a persistent 500', async () => {
    handler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('database down');
    };
    const c = client({}, 3);
    const error = await c.getResource('/Users', 'x').catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimRetryableError);
    // a plain-text body is not SCIM: the status says it all, the text is not repeated
    expect((error as Error).message).toMatch(/HTTP 500: the server failed \(5xx\)$/);
    expect(seen).toHaveLength(3);
  });

  it('limits the request rate per client', async () => {
    handler = (_req, res) => json(res, 200, { ...SPC });
    const c = client({ rateLimitPerSecond: 10 });
    const started = Date.now();
    // Ten requests ride the burst, the next ten are spaced at 100 ms.
    await Promise.all(Array.from({ length: 20 }, () => c.getResource('/ServiceProviderConfig', 'x').catch(() => undefined)));
    await c.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it.each<[string, Partial<ScimConnectionConfig>, RegExp]>([
    ['a base URL without scheme', { baseUrl: 'scim.example.com/v2' }, /not a valid URL/],
    ['a non-HTTP base URL', { baseUrl: 'ftp://scim.example.com/v2' }, /must start with http/],
    ['a CA that is not a certificate', { tls: { caPem: 'not a pem' } }, /tls\.caPem is not a PEM/],
  ])('rejects %s as a configuration error before any request', async (_name, config, message) => {
    const c = client(config);
    const error = await readListing(c.listResources('/Users')).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as Error).message).toMatch(message);
    expect(seen).toHaveLength(0);
  });

  describe('discovery', () => {
    it('falls back to /ServiceProviderConfigs and tolerates missing ResourceTypes and Schemas', async () => {
      handler = (req, res) => {
        if (req.url === '/scim/v2/ServiceProviderConfigs') json(res, 200, { ...SPC, sort: { supported: 'true' } });
        else if (req.url === '/scim/v2/ResourceTypes') json(res, 500, { detail: 'boom' });
        else json(res, 404, { status: '404', detail: 'not here' });
      };
      const c = client({}, 1);
      const discovery = await c.discover();
      await c.close();
      expect(discovery.serviceProvider).toMatchObject({
        filter: true,
        sort: true,
        patch: false,
        indexPagination: true,
        cursorPagination: false,
      });
      expect(discovery.resourceTypes).toEqual([]);
      expect(discovery.schemas).toBeUndefined();
      expect(discovery.warnings).toHaveLength(2);
    });

    it('fails with a clear configuration error when no ServiceProviderConfig exists (wrong base URL)', async () => {
      handler = (_req, res) => {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>Not Found</h1>');
      };
      const c = client();
      const error = await c.discover().catch((e: unknown) => e);
      await c.close();
      expect(error).toBeInstanceOf(ScimConfigError);
      expect((error as Error).message).toMatch(/no ServiceProviderConfig under .*tried \/ServiceProviderConfig, \/ServiceProviderConfigs/);
    });

    it('lists anyway when the ServiceProviderConfig is missing (auto paging falls back to index)', async () => {
      handler = (req, res) => {
        if (req.url?.startsWith('/scim/v2/Users?')) json(res, 200, { totalResults: 2, Resources: [{ id: 'a' }, { id: 'b' }] });
        else json(res, 404, {});
      };
      const c = client();
      const { ids, report } = await readListing(c.listResources('/Users'));
      await c.close();
      expect(ids).toEqual(['a', 'b']);
      expect(report).toMatchObject({ pagingMethod: 'index', complete: true });
    });
  });
});
