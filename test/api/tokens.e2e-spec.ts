import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody } from '../support/fixtures';

describe('API tokens', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    // the suite's shared API_TOKEN (test/support/global-setup.ts): every API start revokes any other bootstrap token
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('401 without a token, with a malformed header and with an unknown token', async () => {
    for (const header of [undefined, 'Basic abc', 'Bearer not-a-real-token']) {
      const req = api.http().get('/api/v1/connectors');
      const res = await (header ? req.set('Authorization', header) : req).expect(401);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('a read token reads but gets 403 on a write', async () => {
    await api.http().get('/api/v1/templates').set('Authorization', `Bearer ${api.readToken}`).expect(200);
    const res = await api.http().post('/api/v1/connectors').set('Authorization', `Bearer ${api.readToken}`).send(connectorBody()).expect(403);
    expect(res.body.detail).toMatch(/admin/);
  });

  it('tokens are stored hashed; API_TOKEN bootstraps an admin token', async () => {
    const rows: Array<{ token_hash: string }> = await api.ds.query(`SELECT token_hash FROM api_token`);
    expect(rows.some((r) => r.token_hash.includes(api.adminToken))).toBe(false);
    expect(api.config.apiToken).toBeDefined();
    await api.http().get('/api/v1/tasks').set('Authorization', `Bearer ${api.config.apiToken}`).expect(200);
  });
});
