/**
 * Authentication against the demo server: basic, bearer and OAuth2 client credentials (with a
 * token endpoint started here), the connector tests, and secrets never leaking into errors or logs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { ScimAuthError, ScimClient, ScimConfigError, type ScimAuth } from '../../libs/scim/src';
import { readListing, recordingLogger, sorted } from './scim-test-helpers';

const BASIC = { username: 'svc-import', password: 'Sup3r$ecret:pw' };
const BEARER = 'static-bearer-token-0123456789';

describe('ScimClient authentication', () => {
  let server: ScimDemoServer;

  beforeAll(async () => {
    server = await startScimDemoServer({ auth: { basic: BASIC, bearer: BEARER }, seed: { users: 120, groups: 4 } });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => server.setAuth({ basic: BASIC, bearer: BEARER }));

  async function withClient<T>(auth: ScimAuth, fn: (c: ScimClient, logs: string[]) => Promise<T>): Promise<T> {
    const logger = recordingLogger();
    const client = new ScimClient({ baseUrl: server.url, auth, pageSize: 50 }, { logger });
    try {
      return await fn(client, logger.lines);
    } finally {
      await client.close();
    }
  }

  it.each<[string, ScimAuth]>([
    ['basic', { type: 'basic', ...BASIC }],
    ['bearer', { type: 'bearer', token: BEARER }],
  ])('reads everything with %s credentials', async (_name, auth) => {
    await withClient(auth, async (client) => {
      const { ids, report } = await readListing(client.listResources('/Users'));
      expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
      expect(report.complete).toBe(true);
    });
  });

  it.each<[string, ScimAuth, string]>([
    ['a wrong password', { type: 'basic', username: BASIC.username, password: 'wrong-password-123' }, 'wrong-password-123'],
    ['a wrong token', { type: 'bearer', token: 'wrong-token-456' }, 'wrong-token-456'],
  ])('fails with a non-retryable ScimAuthError on %s, without leaking it', async (_name, auth, secret) => {
    await withClient(auth, async (client, logs) => {
      const error = await readListing(client.listResources('/Users')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ScimAuthError);
      const e = error as ScimAuthError;
      expect(e.name).toBe('ScimAuthError');
      expect(e.retryable).toBe(false);
      expect(e.status).toBe(401);
      expect(e.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/ServiceProviderConfig -> HTTP 401/);
      const everything = [e.message, JSON.stringify(e), ...logs].join('\n');
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(Buffer.from(`${BASIC.username}:${secret}`).toString('base64'));
      expect(everything.toLowerCase()).not.toContain('authorization');
    });
  });

  it('testConnection reports a reachable server even without valid credentials', async () => {
    await withClient({ type: 'bearer', token: 'nope' }, async (client) => {
      const result = await client.testConnection();
      expect(result.ok).toBe(true);
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
      expect(result.message).toMatch(/reachable: GET .*ServiceProviderConfig answered HTTP 401/);
    });
  });

  it('testConnection explains an unreachable server and never throws', async () => {
    const dead = new ScimClient({ baseUrl: 'http://127.0.0.1:1/scim/v2', auth: { type: 'bearer', token: 't' } });
    const result = await dead.testConnection();
    await dead.close();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/ECONNREFUSED/);
  });

  it('testConnection explains a malformed base URL', async () => {
    const bad = new ScimClient({ baseUrl: 'scim.example.com/v2', auth: { type: 'bearer', token: 't' } });
    const result = await bad.testConnection();
    await bad.close();
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/not a valid URL/) });
  });

  it('testAuthentication accepts good credentials and returns the capabilities', async () => {
    await withClient({ type: 'basic', ...BASIC }, async (client) => {
      const result = await client.testAuthentication();
      expect(result.ok).toBe(true);
      expect(result.serviceProvider).toMatchObject({
        filter: true,
        sort: true,
        patch: true,
        cursorPagination: false,
        indexPagination: true,
      });
    });
  });

  it('testAuthentication names the problem for rejected credentials', async () => {
    await withClient({ type: 'basic', username: BASIC.username, password: 'bad' }, async (client) => {
      const result = await client.testAuthentication();
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/authentication failed: .*HTTP 401.*rejected the credentials/);
    });
  });

  it('rejects credentials embedded in the base URL as a configuration error', async () => {
    const url = server.url.replace('http://', 'http://user:pw@');
    const client = new ScimClient({ baseUrl: url, auth: { type: 'basic', ...BASIC } });
    const error = await client.discover().catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as Error).message).not.toContain('pw@');
  });

  describe('OAuth2 client credentials', () => {
    let tokenServer: Server;
    let tokenUrl: string;
    let issued: number;
    let acceptedSecret: string;
    let postOnly: boolean;
    const requests: { auth?: string; body: Record<string, string> }[] = [];

    beforeAll(async () => {
      const app = express();
      app.use(express.urlencoded({ extended: false }));
      app.post('/oauth/token', (req, res) => {
        requests.push({ auth: req.get('authorization'), body: { ...req.body } });
        let id: string | undefined;
        let secret: string | undefined;
        const header = req.get('authorization');
        if (header?.startsWith('Basic ') && !postOnly) {
          const [u, p] = Buffer.from(header.slice(6), 'base64').toString().split(':');
          id = decodeURIComponent(u);
          secret = decodeURIComponent(p);
        } else if (!header) {
          id = req.body.client_id;
          secret = req.body.client_secret;
        }
        if (req.body.grant_type !== 'client_credentials' || id !== 'importer' || secret !== acceptedSecret) {
          res.status(401).json({ error: 'invalid_client', error_description: 'Client authentication failed' });
          return;
        }
        issued += 1;
        const token = `oauth-token-${issued}`;
        server.setAuth({ bearer: token });
        res.json({ access_token: token, token_type: 'Bearer', expires_in: 3600, scope: req.body.scope });
      });
      tokenServer = createServer(app);
      await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
      tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
    });
    afterAll(async () => {
      await new Promise<void>((r) => tokenServer.close(() => r()));
    });
    beforeEach(() => {
      issued = 0;
      acceptedSecret = 'cl!ent:secret';
      postOnly = false;
      requests.length = 0;
    });

    const oauth = (): ScimAuth => ({ type: 'oauth2', tokenUrl, clientId: 'importer', clientSecret: 'cl!ent:secret', scope: 'scim.read' });

    it('fetches a token once, caches it, and reads everything', async () => {
      await withClient(oauth(), async (client) => {
        const { ids, report } = await readListing(client.listResources('/Users'));
        expect(sorted(ids)).toEqual(sorted(server.admin.listUserIds()));
        expect(report.complete).toBe(true);
        expect(issued).toBe(1);
        expect(requests[0].body).toEqual({ grant_type: 'client_credentials', scope: 'scim.read' });
        expect(requests[0].auth).toMatch(/^Basic /);
      });
    });

    it('refreshes the token once when the server starts rejecting it', async () => {
      await withClient(oauth(), async (client) => {
        await client.discover();
        expect(issued).toBe(1);
        // The resource server revokes the token: only a new one works.
        server.setAuth({ bearer: 'something-else' });
        const { ids } = await readListing(client.listResources('/Users'));
        expect(ids).toHaveLength(server.admin.listUserIds().length);
        expect(issued).toBe(2);
      });
    });

    it('falls back to client_secret_post for providers that require it', async () => {
      postOnly = true;
      await withClient(oauth(), async (client) => {
        const result = await client.testAuthentication();
        expect(result.ok).toBe(true);
        expect(requests.map((r) => (r.auth ? 'basic' : 'post'))).toEqual(['basic', 'post']);
      });
    });

    it('reports a rejected client as ScimAuthError naming the token endpoint, without the secret', async () => {
      acceptedSecret = 'another-secret';
      await withClient(oauth(), async (client, logs) => {
        const error = await client.discover().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ScimAuthError);
        const message = (error as Error).message;
        expect(message).toContain(`POST ${tokenUrl}`);
        expect(message).toMatch(/token endpoint rejected/);
        expect([message, ...logs].join('\n')).not.toContain('cl!ent:secret');
        const result = await client.testAuthentication();
        expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/authentication failed/) });
      });
    });
  });
});
