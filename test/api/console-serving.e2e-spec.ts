import { startApi, type ApiHarness } from '../support/api-harness';
import { ensureConsoleBuilt } from '../console/support/console-stack';

/** The API process serves the console at `/` without taking anything from the API's own paths. */
describe('console served by the API', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    ensureConsoleBuilt();
    api = await startApi();
  }, 180_000);
  afterAll(async () => {
    await api.close();
  });

  it('serves the page at / and at every client-side route, never cached', async () => {
    for (const path of ['/', '/tasks', '/runs/0f5c3c4e-8c53-4c39-9d7a-2f7f7f0b9a11', '/datacards?template=account']) {
      const res = await api.http().get(path).set('Accept', 'text/html').expect(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toContain('<div id="root"></div>');
    }
  });

  it('serves hashed assets with a long cache life; a missing asset is a 404, not the page', async () => {
    const page = await api.http().get('/').set('Accept', 'text/html').expect(200);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await api.http().get(script!).expect(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    const missing = await api.http().get('/assets/not-there.js').expect(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
  });

  it('leaves the API paths to the API: unknown API routes stay problem documents, auth still applies', async () => {
    const unknown = await api.http().get('/api/v1/nothing-here').set('Accept', 'text/html').set('Authorization', `Bearer ${api.adminToken}`).expect(404);
    expect(unknown.headers['content-type']).toMatch(/problem\+json/);
    await api.http().get('/api/v1/tasks').set('Accept', 'text/html').expect(401);
    await api.http().get('/health').expect((res) => expect([200, 503]).toContain(res.status));
    const docs = await api.http().get('/docs-json').expect(200);
    expect(docs.body.paths['/api/v1/auth/whoami']).toBeDefined();
    // a write to a console path is not the console's
    await api.http().post('/tasks').send({}).expect(404);
  });
});
