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
  it('answers 503 and names the failing part', async () => {
    // a namespace that does not exist makes the Temporal check fail while the database stays up
    const api = await startApi({ temporalNamespace: 'no-such-namespace-for-health' });
    try {
      const res = await api.http().get('/health').expect(503);
      expect(res.body.failing).toEqual(['temporal']);
      expect(res.body.checks.database.status).toBe('up');
    } finally {
      await api.close();
    }
  });
});
