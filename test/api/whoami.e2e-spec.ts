import { createApiToken, hashToken } from '../../apps/api/src/auth/api-tokens';
import { startApi, type ApiHarness } from '../support/api-harness';

describe('GET /api/v1/auth/whoami', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('names the calling token and its scope (the console hides writes for "read")', async () => {
    const admin = await api.http().get('/api/v1/auth/whoami').set('Authorization', `Bearer ${api.adminToken}`).expect(200);
    expect(admin.body).toEqual({ name: expect.stringMatching(/^test-admin-/), scope: 'admin' });
    const read = await api.http().get('/api/v1/auth/whoami').set('Authorization', `Bearer ${api.readToken}`).expect(200);
    expect(read.body).toEqual({ name: expect.stringMatching(/^test-read-/), scope: 'read' });
  });

  it('401 for an unknown or revoked token', async () => {
    await api.http().get('/api/v1/auth/whoami').set('Authorization', 'Bearer sit_unknown').expect(401);
    const { token } = await createApiToken(api.ds, `whoami-revoked-${Date.now()}`, 'read');
    await api.http().get('/api/v1/auth/whoami').set('Authorization', `Bearer ${token}`).expect(200);
    await api.ds.query(`UPDATE api_token SET revoked_at = now() WHERE token_hash = $1`, [hashToken(token)]);
    const res = await api.http().get('/api/v1/auth/whoami').set('Authorization', `Bearer ${token}`).expect(401);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });
});
