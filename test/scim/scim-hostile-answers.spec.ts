/**
 * The client against answers that try to hurt it: bodies far larger than any page should be
 * (streamed, chunked or announced by Content-Length), servers that echo the credentials they
 * were sent, resource paths that climb out of the base URL, requests cancelled while they stall,
 * and a cursor-only server probed by test-authentication. Small local HTTP servers and the demo
 * SCIM server play the servers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startScimDemoServer } from '../../apps/scim-demo/src';
import {
  ScimAuthError,
  ScimClient,
  ScimConfigError,
  ScimError,
  ScimProtocolError,
  ScimResponseTooLargeError,
  ScimRetryableError,
  type ScimConnectionConfig,
} from '../../libs/scim/src';
import { DETAIL_WORDS, ECHO_ANSWERS, hostileSecret, leakNeedles, startEchoingSource, type EchoMode, type EchoingSource } from '../support/echoing-source';
import { readListing, recordingLogger } from './scim-test-helpers';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const SPC = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], filter: { supported: true }, patch: { supported: false } };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/scim+json', ...headers });
  res.end(JSON.stringify(body));
};

/** Writes a never-ending JSON array as fast as the client reads it; counts what actually left. */
function endlessList(res: ServerResponse, sent: { bytes: number; closed: boolean }): void {
  res.writeHead(200, { 'content-type': 'application/scim+json' });
  const record = `{"id":"u","userName":"${'x'.repeat(1000)}"},`;
  const chunk = record.repeat(64);
  res.on('close', () => {
    sent.closed = true;
  });
  res.write('{"totalResults":100000000,"Resources":[');
  const pump = () => {
    while (!sent.closed) {
      sent.bytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

describe('ScimClient against hostile answers', () => {
  let server: Server;
  let handler: Handler;
  let baseUrl: string;
  let origin: string;
  const seen: Array<{ method?: string; url?: string; authorization?: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    baseUrl = `${origin}/scim/v2`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const client = (config: Partial<ScimConnectionConfig> = {}, options: { signal?: AbortSignal; maxAttemptsPerRequest?: number } = {}) => {
    const logger = recordingLogger();
    const c = new ScimClient({ baseUrl, auth: { type: 'bearer', token: 'tkn-secret-value' }, timeoutMs: 10_000, ...config }, { logger, maxRetryWaitMs: 2000, ...options });
    return { c, logger };
  };

  describe('response size', () => {
    it('stops reading an endless chunked page at maxResponseBytes and fails without a retry, naming the page', async () => {
      const sent = { bytes: 0, closed: false };
      handler = (req, res) => (req.url?.includes('ServiceProviderConfig') ? json(res, 200, SPC) : endlessList(res, sent));
      const { c } = client({ maxResponseBytes: 1024 * 1024, pageSize: 500 });
      const error = await readListing(c.listResources('/Users', { paging: 'index' })).catch((e: unknown) => e);
      await c.close();
      expect(error).toBeInstanceOf(ScimResponseTooLargeError);
      const message = (error as Error).message;
      expect(message).toContain('/scim/v2/Users?startIndex=1&count=500');
      expect(message).toMatch(/larger than the connector's maxResponseBytes \(1 MiB\).*Lower the connector's pageSize/);
      expect(seen.filter((r) => r.url?.startsWith('/scim/v2/Users'))).toHaveLength(1);
      // the connection was closed early: only socket buffers beyond the limit ever left the server
      await new Promise((r) => setTimeout(r, 100));
      expect(sent.closed).toBe(true);
      expect(sent.bytes).toBeLessThan(16 * 1024 * 1024);
    });

    it('refuses a page whose Content-Length is over the limit before reading it, and names the cursor of a cursor page', async () => {
      const sent = { bytes: 0, closed: false };
      handler = (req, res) => {
        if (req.url?.includes('cursor=abc')) {
          res.writeHead(200, { 'content-type': 'application/scim+json', 'content-length': String(5 * 1024 * 1024 * 1024) });
          res.on('close', () => (sent.closed = true));
          res.write('{"Resources":[');
          return;
        }
        json(res, 200, { totalResults: 3, Resources: [{ id: 'a' }], nextCursor: 'abc' });
      };
      const { c } = client({ maxResponseBytes: 2 * 1024 * 1024 });
      const error = await readListing(c.listResources('/Users', { paging: 'cursor' })).catch((e: unknown) => e);
      await c.close();
      expect(error).toBeInstanceOf(ScimResponseTooLargeError);
      expect((error as Error).message).toContain('cursor=abc');
      expect((error as Error).message).toContain('Content-Length says 5120 MiB, nothing was read');
    });

    it('reads a page just under the limit, and only the start of a huge error answer', async () => {
      const limit = 256 * 1024;
      handler = (req, res) => {
        if (req.url?.includes('Groups')) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`boom ${'y'.repeat(20 * 1024 * 1024)}`);
          return;
        }
        const resources = Array.from({ length: 200 }, (_, i) => ({ id: `u${i}`, userName: `user-${i}`, displayName: 'z'.repeat(1000) }));
        json(res, 200, { totalResults: 200, Resources: resources });
      };
      const { c } = client({ maxResponseBytes: limit }, { maxAttemptsPerRequest: 1 });
      const { ids } = await readListing(c.listResources('/Users', { paging: 'index', tailCheck: false }));
      expect(ids).toHaveLength(200);
      const error = await readListing(c.listResources('/Groups', { paging: 'index' })).catch((e: unknown) => e);
      await c.close();
      expect(error).toBeInstanceOf(ScimRetryableError);
      // plain text is not SCIM: the status is reported, the text is not repeated
      expect((error as Error).message).toMatch(/HTTP 500: the server failed \(5xx\)$/);
    });
  });

  describe('secrets echoed by the server', () => {
    const password = 'Pa55-w0rd/with+chars';
    const basicValue = b64(`svc-import:${password}`);

    it('a 401 echoing the Basic Authorization header (body and headers) leaves no trace of it in the error', async () => {
      handler = (req, res) =>
        json(
          res,
          401,
          { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401', detail: `bad credentials: ${req.headers.authorization} (${password})` },
          { 'www-authenticate': `Basic realm="${req.headers.authorization}"` },
        );
      const { c, logger } = client({ auth: { type: 'basic', username: 'svc-import', password } });
      const error = await c.getResource('/Users', 'x').catch((e: unknown) => e);
      const auth = await c.testAuthentication();
      await c.close();
      expect(seen[0].authorization).toBe(`Basic ${basicValue}`);
      expect(error).toBeInstanceOf(ScimAuthError);
      const texts = JSON.stringify([String(error), (error as ScimAuthError).detail, (error as Error).stack, auth, logger.lines]);
      // an answer that rejects credentials is reported by its status alone
      expect(texts).toContain('HTTP 401: the server rejected the credentials');
      expect(texts).not.toContain('bad credentials');
      expect(texts).not.toContain(basicValue);
      expect(texts).not.toContain(password);
      expect(auth.ok).toBe(false);
    });

    it('a 500 echoing a bearer token is retried and logged without it', async () => {
      // a SCIM error body: its detail is kept, scrubbed
      handler = (req, res) => json(res, 500, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], detail: `upstream saw ${req.headers.authorization}` });
      const { c, logger } = client({}, { maxAttemptsPerRequest: 2 });
      const error = await c.getResource('/Users', 'x').catch((e: unknown) => e);
      await c.close();
      expect(error).toBeInstanceOf(ScimRetryableError);
      expect((error as Error).message).toContain('upstream saw Bearer ***');
      expect(logger.lines.some((l) => l.includes('will be retried'))).toBe(true);
      expect(JSON.stringify([String(error), logger.lines])).not.toContain('tkn-secret-value');
    });

    it('OAuth2: neither the client secret (raw, form-encoded, Basic pair) nor an issued access token survives an echo', async () => {
      const clientSecret = 'cs/secret+value 1';
      let issue = false;
      handler = (req, res, body) => {
        if (req.url === '/oauth/token') {
          if (!issue) return json(res, 401, { error: 'invalid_client', error_description: `got ${req.headers.authorization ?? ''} body ${body}` });
          return json(res, 200, { access_token: 'at-issued-123456', token_type: 'Bearer', expires_in: 600 });
        }
        json(res, 401, { detail: `token ${req.headers.authorization} refused` });
      };
      const oauth = { type: 'oauth2' as const, tokenUrl: `${origin}/oauth/token`, clientId: 'import-client', clientSecret };
      const first = client({ auth: oauth });
      const tokenError = await first.c.getResource('/Users', 'x').catch((e: unknown) => e);
      const tokenAuth = await first.c.testAuthentication();
      await first.c.close();
      // the client tried client_secret_basic, then client_secret_post: both echoes came back
      expect(seen.some((r) => r.authorization?.startsWith('Basic '))).toBe(true);
      expect(tokenError).toBeInstanceOf(ScimAuthError);
      const tokenTexts = JSON.stringify([String(tokenError), (tokenError as Error).stack, tokenAuth, first.logger.lines]);
      expect(tokenTexts).toContain('the client id or secret was rejected (invalid_client)');
      expect(tokenTexts).not.toContain('client_id=import-client');
      for (const form of [clientSecret, encodeURIComponent(clientSecret), encodeURIComponent(clientSecret).replace(/%20/g, '+'), b64(`import-client:${encodeURIComponent(clientSecret)}`)]) {
        expect(tokenTexts).not.toContain(form);
      }

      issue = true;
      const second = client({ auth: oauth });
      const resourceError = await second.c.getResource('/Users', 'x').catch((e: unknown) => e);
      await second.c.close();
      expect(resourceError).toBeInstanceOf(ScimAuthError);
      expect((resourceError as Error).message).toContain('HTTP 401: the server rejected the credentials');
      expect((resourceError as Error).message).not.toContain('refused');
      expect(JSON.stringify([String(resourceError), second.logger.lines])).not.toContain('at-issued-123456');
    });
  });

  describe('resource paths', () => {
    it.each(['/../../internal/admin/Users', '/%2e%2e/%2e%2e/internal/admin/Users', '/Users/..%2f..%2fadmin'])(
      'refuses %s before sending anything',
      async (path) => {
        handler = (_req, res) => json(res, 200, { totalResults: 0 });
        const { c } = client();
        const error = await readListing(c.listResources(path, { paging: 'index' })).catch((e: unknown) => e);
        await c.close();
        expect(error).toBeInstanceOf(ScimConfigError);
        expect((error as Error).message).toMatch(/is not allowed: paths are resolved under the base URL .*\/scim\/v2/);
        expect(seen).toHaveLength(0);
      },
    );

    it('refuses a member read of a group whose id is ".."', async () => {
      handler = (_req, res) => json(res, 200, { id: 'x' });
      const { c } = client();
      await expect(c.fetchGroupMembers('..')).rejects.toBeInstanceOf(ScimConfigError);
      await c.close();
      expect(seen).toHaveLength(0);
    });
  });

  describe('cancellation', () => {
    it('aborts a stalled request at once with the signal reason, without retrying', async () => {
      handler = () => undefined;
      const controller = new AbortController();
      const { c } = client({ timeoutMs: 60_000 }, { signal: controller.signal });
      const reason = new Error('activity cancelled');
      const pending = c.getResource('/Users', 'x').catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 200));
      controller.abort(reason);
      expect(await pending).toBe(reason);
      // later calls do not even send
      expect(await c.getResource('/Users', 'y').catch((e: unknown) => e)).toBe(reason);
      await c.close();
      expect(seen.map((r) => r.url)).toEqual(['/scim/v2/Users/x']);
    });

    it('aborts the wait between retries', async () => {
      handler = (_req, res) => json(res, 503, { detail: 'busy' }, { 'retry-after': '1' });
      const controller = new AbortController();
      const { c } = client({}, { signal: controller.signal, maxAttemptsPerRequest: 5 });
      const pending = c.getResource('/Users', 'x').catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      controller.abort(new Error('stop'));
      expect(((await pending) as Error).message).toBe('stop');
      await c.close();
      expect(seen).toHaveLength(1);
    });
  });
});

describe('ScimClient against servers that echo credentials transformed', () => {
  let source: EchoingSource;
  beforeAll(async () => {
    source = await startEchoingSource();
  });
  afterAll(async () => {
    await source.close();
  });

  const auths = {
    basic: () => ({ type: 'basic' as const, username: 'svc-import', password: hostileSecret('Pw') }),
    bearer: () => ({ type: 'bearer' as const, token: hostileSecret('Tk', true) }),
    oauth2: () => ({ type: 'oauth2' as const, tokenUrl: source.tokenUrl, clientId: 'import-client', clientSecret: hostileSecret('Cs') }),
  };
  const cases: Array<[string, keyof typeof auths, EchoMode]> = [
    ...(['basic', 'bearer', 'oauth2'] as const).flatMap((auth) => ECHO_ANSWERS.map((answer): [string, keyof typeof auths, EchoMode] => [`${auth}, ${answer} from the SCIM endpoint`, auth, { scim: answer }])),
    ...ECHO_ANSWERS.map((answer): [string, keyof typeof auths, EchoMode] => [`oauth2, ${answer} from the token endpoint`, 'oauth2', { token: answer, scim: 401 }]),
  ];

  it.each(cases)('%s: no transformed form reaches an error, a test answer or a log line', async (_name, authType, mode) => {
    source.mode = mode;
    source.secrets.clear();
    const auth = auths[authType]();
    const logger = recordingLogger();
    const c = new ScimClient({ baseUrl: source.url, auth, timeoutMs: 10_000 }, { logger, maxAttemptsPerRequest: 2, maxRetryWaitMs: 1000 });
    const listError = await readListing(c.listResources('/Users', { paging: 'index' })).catch((e: unknown) => e);
    const getError = await c.getResource('/Groups', 'g1').catch((e: unknown) => e);
    const connection = await c.testConnection();
    const authentication = await c.testAuthentication();
    await c.close();

    // the source really saw (and echoed) the secrets
    const secret = auth.type === 'basic' ? auth.password : auth.type === 'bearer' ? auth.token : auth.clientSecret;
    expect(source.secrets.has(secret)).toBe(true);
    expect(listError).toBeInstanceOf(ScimError);
    // a 200 with garbage to /Users may well mean the credentials were accepted
    if (typeof mode.scim === 'number' || mode.token !== undefined) expect(authentication.ok).toBe(false);

    const errorTexts = [listError, getError].map((e) => [String(e), (e as Error).stack, JSON.stringify(e), (e as ScimError).detail]);
    const text = JSON.stringify([errorTexts, connection, authentication, logger.lines]);
    for (const s of source.secrets) {
      for (const form of leakNeedles(s)) expect({ form, leaked: text.includes(form) }).toEqual({ form, leaked: false });
    }
    // what is kept: the status always; the harmless start of a SCIM detail only where the rule allows a detail
    const error = listError as ScimError;
    const detailAllowed = mode.token === undefined && (mode.scim === 400 || mode.scim === 500);
    expect(error.detail !== undefined).toBe(detailAllowed);
    if (detailAllowed) expect(error.message).toContain(`(server said: ${DETAIL_WORDS}: ***`);
    expect(error.scimType).toBeUndefined();
    if (typeof mode.scim === 'number' && mode.token === undefined) expect(error.message).toContain(`HTTP ${mode.scim}`);
    if (typeof mode.scim === 'string' && mode.token === undefined) expect(error).toBeInstanceOf(ScimProtocolError);
  });
});

describe('test-authentication against a cursor-only server', () => {
  it('probes with a cursor when the server says indexPagination false and answers 501 to startIndex', async () => {
    const scim = await startScimDemoServer({
      auth: { basic: { username: 'u', password: 'cursor-only-pw' } },
      seed: { users: 3, groups: 1 },
      quirks: { cursorOnly: true, rejectStartIndexStatus: 501 },
    });
    const c = new ScimClient({ baseUrl: scim.url, auth: { type: 'basic', username: 'u', password: 'cursor-only-pw' } });
    const wrong = new ScimClient({ baseUrl: scim.url, auth: { type: 'basic', username: 'u', password: 'wrong-password' } });
    try {
      const result = await c.testAuthentication();
      expect(result).toMatchObject({ ok: true, serviceProvider: { cursorPagination: true, indexPagination: false } });
      expect(result.message).toMatch(/credentials accepted: read \/Users with cursor paging/);
      // the index way really is refused by this server
      const refused = await readListing(c.listResources('/Users', { paging: 'index' })).catch((e: unknown) => e);
      expect((refused as ScimConfigError).status).toBe(501);
      expect((await wrong.testAuthentication()).ok).toBe(false);
    } finally {
      await c.close();
      await wrong.close();
      await scim.close();
    }
  });
});
