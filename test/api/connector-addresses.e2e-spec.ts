/**
 * Connector base URLs and OAuth2 token URLs that reach loopback, link-local or cloud metadata
 * addresses are refused with 422 naming the field, in every spelling the URL parser accepts, unless
 * OUTBOUND_ALLOWED_NETWORKS allows them; private networks stay allowed. Checked again when a
 * connection opens (test-connection of a connector saved while the rule allowed it).
 */
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody } from '../support/fixtures';

const oauth = (tokenUrl: string) => ({ type: 'oauth2', tokenUrl, clientId: 'client', clientSecret: 'client-secret-value' });

const REFUSED_BASE_URLS = [
  'http://169.254.169.254/latest/meta-data',
  'http://2852039166/scim/v2',
  'http://0xa9.0xfe.0xa9.0xfe/scim/v2',
  'http://0251.0376.0251.0376/scim/v2',
  'http://[::ffff:a9fe:a9fe]/scim/v2',
  'http://[fe80::1]/scim/v2',
  'http://127.0.0.1:8443/scim/v2',
  'http://127.1/scim/v2',
  'http://[::1]/scim/v2',
  'http://0.0.0.0/scim/v2',
  'http://localhost:8443/scim/v2',
];

describe('connector addresses under the production rule (nothing allowed)', () => {
  let api: ApiHarness;
  let loopbackApi: ApiHarness;
  const created: string[] = [];
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });

  beforeAll(async () => {
    api = await startApi({ outboundAllowedNetworks: [] });
    // the suite's own setting: loopback allowed (its SCIM servers listen there)
    loopbackApi = await startApi();
  });
  afterAll(async () => {
    for (const id of created) await api.http().delete(`/api/v1/connectors/${id}`).set(auth());
    await loopbackApi.close();
    await api.close();
  });

  it.each(REFUSED_BASE_URLS)('refuses baseUrl %s with 422 naming baseUrl, and stores nothing', async (baseUrl) => {
    const body = connectorBody({ baseUrl });
    const res = await api.http().post('/api/v1/connectors').set(auth()).send(body);
    expect(res.status).toBe(422);
    const problem = JSON.parse(res.text);
    expect(problem.errors).toEqual([{ field: 'baseUrl', message: expect.stringMatching(/(loopback|link-local|this host).*OUTBOUND_ALLOWED_NETWORKS/) }]);
    expect(await api.ds.query(`SELECT 1 FROM connector WHERE name = $1`, [body.name])).toHaveLength(0);
  });

  it('refuses an OAuth2 tokenUrl on the metadata address, on create and on update', async () => {
    const res = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: 'https://scim.example.com/v2', auth: oauth('http://[::ffff:169.254.169.254]/token') }));
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text).errors.map((e: { field: string }) => e.field)).toEqual(['auth.tokenUrl']);

    const ok = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: 'https://scim.example.com/v2', auth: oauth('https://login.example.com/token') }));
    expect(ok.status).toBe(201);
    created.push(ok.body.id);
    const patch = await api.http().patch(`/api/v1/connectors/${ok.body.id}`).set(auth()).send({ baseUrl: 'http://2852039166/v2', auth: oauth('http://169.254.169.254/token') });
    expect(patch.status).toBe(422);
    expect(JSON.parse(patch.text).errors.map((e: { field: string }) => e.field)).toEqual(['baseUrl', 'auth.tokenUrl']);
    const back = await api.http().get(`/api/v1/connectors/${ok.body.id}`).set(auth()).expect(200);
    expect({ baseUrl: back.body.baseUrl, tokenUrl: back.body.auth.tokenUrl }).toEqual({ baseUrl: 'https://scim.example.com/v2', tokenUrl: 'https://login.example.com/token' });
  });

  it('a hex form the URL parser rejects is a 400 of the URL syntax rule', async () => {
    const res = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl: 'http://0xa9fe.0xa9fe/scim/v2' }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).errors.map((e: { field: string }) => e.field)).toContain('baseUrl');
  });

  it.each(['https://10.0.0.5/scim/v2', 'https://192.168.10.20:8443/scim/v2', 'https://172.16.0.9/v2', 'https://[fd12:3456::1]/v2', 'https://scim.example.com/v2'])(
    'keeps private networks and public names allowed: %s',
    async (baseUrl) => {
      const res = await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody({ baseUrl }));
      expect(res.status).toBe(201);
      created.push(res.body.id);
    },
  );

  it('with loopback allowed (as in the dev stack and this suite) loopback is accepted, link-local and metadata are not', async () => {
    const lauth = { Authorization: `Bearer ${loopbackApi.adminToken}` };
    const local = await loopbackApi.http().post('/api/v1/connectors').set(lauth).send(connectorBody({ baseUrl: 'http://127.0.0.1:9/scim/v2' }));
    expect(local.status).toBe(201);
    created.push(local.body.id);
    for (const baseUrl of ['http://169.254.169.254/', 'http://[::ffff:a9fe:a9fe]/', 'http://2852039166/']) {
      const res = await loopbackApi.http().post('/api/v1/connectors').set(lauth).send(connectorBody({ baseUrl }));
      expect({ baseUrl, status: res.status }).toEqual({ baseUrl, status: 422 });
    }

    // saved while allowed, the connector is still refused by an API whose rule refuses it, when it connects
    const test = await api.http().post(`/api/v1/connectors/${local.body.id}/test-connection`).set(auth());
    expect(test.status).toBe(502);
    expect(JSON.parse(test.text).detail).toMatch(/refused.*127\.0\.0\.1 is loopback/);
  });
});
