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

  it('sends nosniff on every answer, and a CSP without framing on the console', async () => {
    const answers = {
      page: await api.http().get('/').set('Accept', 'text/html'),
      json: await api.http().get('/api/v1/auth/whoami').set('Authorization', `Bearer ${api.adminToken}`),
      problem: await api.http().get('/api/v1/tasks'),
      health: await api.http().get('/health'),
      metrics: await api.http().get('/metrics'),
      docs: await api.http().get('/docs'),
      docsJson: await api.http().get('/docs-json'),
      unsupportedBody: await api.http().post('/api/v1/tasks').set('Authorization', `Bearer ${api.adminToken}`).set('Content-Type', 'text/plain').send('x'),
    };
    for (const [name, res] of Object.entries(answers)) {
      expect({ name, nosniff: res.headers['x-content-type-options'] }).toEqual({ name, nosniff: 'nosniff' });
    }
    const page = answers.page;
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/(^|;)\s*default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/); // no inline or eval'd script
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // the built page itself needs nothing inline: its scripts are files of this origin
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(answers.docs.status).toBe(200);
    expect(answers.docs.headers['content-security-policy']).toBe(csp);
  });
});
