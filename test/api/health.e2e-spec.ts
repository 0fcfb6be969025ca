import { startApi, type ApiHarness } from '../support/api-harness';

describe('operations endpoints', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('GET /health is green when database and Temporal answer, without a token', async () => {
    const res = await api.http().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.database.status).toBe('up');
    expect(res.body.checks.temporal.status).toBe('up');
  });

  it('GET /metrics serves Prometheus text without a token', async () => {
    const res = await api.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toContain('scim_import_tasks');
  });

  it('serves the OpenAPI document', async () => {
    const res = await api.http().get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
  });
});

describe('health when Temporal is down', () => {
  it('answers 503 and names the failing part; error text only with a token', async () => {
    // a namespace that does not exist makes the Temporal check fail while the database stays up
    const api = await startApi({ temporalNamespace: 'no-such-namespace-for-health' });
    try {
      const res = await api.http().get('/health').expect(503);
      expect(res.body.failing).toEqual(['temporal']);
      // without a token: up/down per part, nothing about addresses, namespaces or errors
      expect(res.body.checks).toEqual({ database: { status: 'up' }, temporal: { status: 'down' } });
      expect(res.text).not.toMatch(/no-such-namespace|Namespace|error|latency/i);
      for (const header of ['Bearer not-a-real-token', `Basic ${Buffer.from('a:b').toString('base64')}`]) {
        const unknown = await api.http().get('/health').set('Authorization', header).expect(503);
        expect(unknown.body.checks).toEqual({ database: { status: 'up' }, temporal: { status: 'down' } });
      }

      const detailed = await api.http().get('/health').set('Authorization', `Bearer ${api.readToken}`).expect(503);
      expect(detailed.body.checks.temporal).toMatchObject({ status: 'down', error: expect.stringContaining('no-such-namespace-for-health') });
      expect(detailed.body.checks.database).toMatchObject({ status: 'up', latencyMs: expect.any(Number) });
    } finally {
      await api.close();
    }
  });
});
