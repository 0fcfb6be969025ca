/**
 * The SCIM client applies the deployment's outbound address rule when it opens each connection
 * (after DNS, so a name that points somewhere else later is still refused): base URL and OAuth2
 * token URL alike. A refused address is a ScimConfigError (not retried) and no byte reaches it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutboundAddressPolicy, ScimClient, ScimConfigError } from '@app/scim';

let server: Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.setHeader('content-type', 'application/scim+json');
    if (req.url === '/token') return res.end(JSON.stringify({ access_token: 'tkn', token_type: 'Bearer', expires_in: 3600 }));
    res.end(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  seen.length = 0;
});

// a token that shares no piece with the messages asserted on (the scrubber masks pieces of secrets in any case)
const bearer = { type: 'bearer' as const, token: 'tkn-5f3c9a71e2' };

it.each([
  ['an IP literal', () => `http://127.0.0.1:${port}/scim/v2`],
  ['a name that resolves to loopback', () => `http://localhost:${port}/scim/v2`],
])('refuses %s without sending anything, as a configuration error', async (_name, url) => {
  const client = new ScimClient({ baseUrl: url(), auth: bearer }, { addressPolicy: new OutboundAddressPolicy(), maxAttemptsPerRequest: 3 });
  try {
    const test = await client.testConnection();
    expect(test).toMatchObject({ ok: false, message: expect.stringMatching(/refused.*loopback.*OUTBOUND_ALLOWED_NETWORKS/) });
    const error = await client.getResource('/Users', 'u1').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as Error).message).toMatch(/loopback/);
  } finally {
    await client.close();
  }
  expect(seen).toEqual([]);
});

it('reaches the same server once the deployment allows loopback', async () => {
  const client = new ScimClient({ baseUrl: `http://localhost:${port}/scim/v2`, auth: bearer }, { addressPolicy: new OutboundAddressPolicy(['127.0.0.0/8', '::1']) });
  try {
    expect(await client.testConnection()).toMatchObject({ ok: true });
  } finally {
    await client.close();
  }
  expect(seen.length).toBeGreaterThan(0);
});

it('refuses an OAuth2 token URL on a refused address, even when the base URL is allowed', async () => {
  const auth = { type: 'oauth2' as const, tokenUrl: `http://127.0.0.1:${port}/token`, clientId: 'c', clientSecret: 'client-secret-value' };
  const client = new ScimClient({ baseUrl: `http://localhost:${port}/scim/v2`, auth }, { addressPolicy: new OutboundAddressPolicy(['localhost']) });
  try {
    const error = await client.getResource('/Users', 'u1').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as Error).message).toMatch(/127\.0\.0\.1 is loopback/);
  } finally {
    await client.close();
  }
  expect(seen.filter((u) => u === '/token')).toEqual([]);
});
