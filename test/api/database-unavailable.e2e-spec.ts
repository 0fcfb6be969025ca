/**
 * Reads while PostgreSQL is away answer 503 problem+json with Retry-After (never 500), and answer
 * normally again once it is back. The API runs on a PostgreSQL of this file's own, which the test
 * stops and starts again (stopping the suite's shared one would disturb every other test file).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runMigrations } from '@app/persistence';
import { freePort } from '../../scripts/lib/free-port';
import { startApi, type ApiHarness } from '../support/api-harness';
import { DedicatedPostgres } from '../support/dedicated-postgres-process';
import { connectorBody, eventually } from '../support/fixtures';

const ROOT = resolve(__dirname, '..', '..');
const SUFFIX = randomBytes(4).toString('hex');
const DATA_DIR = join(ROOT, '.data', `test-pg-api-down-${process.pid}-${SUFFIX}`);
const DATABASE = 'scim_import_api_down';

let pg: DedicatedPostgres;
let api: ApiHarness;
let connectorId: string;

/** GET routes of the API, lists and details (details of existing and of unknown ids). */
const READS = (): string[] => [
  '/api/v1/connectors',
  `/api/v1/connectors/${connectorId}`,
  '/api/v1/tasks',
  `/api/v1/tasks/${randomUUID()}`,
  `/api/v1/tasks/${randomUUID()}/runs`,
  `/api/v1/runs/${randomUUID()}`,
  `/api/v1/runs/${randomUUID()}/removal-candidates`,
  `/api/v1/runs/${randomUUID()}/records`,
  '/api/v1/templates',
  '/api/v1/templates/account',
  '/api/v1/folders',
  '/api/v1/datacards',
  `/api/v1/datacards/${randomUUID()}`,
  '/api/v1/auth/whoami',
];

beforeAll(async () => {
  pg = new DedicatedPostgres(DATA_DIR, await freePort(), DATABASE);
  const url = await pg.start();
  await runMigrations(url);
  api = await startApi({ databaseUrl: url, runReconcileIntervalMs: 0 });
  connectorId = (await api.http().post('/api/v1/connectors').set('Authorization', `Bearer ${api.adminToken}`).send(connectorBody()).expect(201)).body.id;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await pg?.stop();
  rmSync(DATA_DIR, { recursive: true, force: true });
});

it('answers reads normally while the database is up', async () => {
  for (const path of READS()) {
    const res = await api.http().get(path).set('Authorization', `Bearer ${api.readToken}`);
    expect({ path, ok: [200, 404].includes(res.status) }).toEqual({ path, ok: true });
  }
});

it('answers every read with 503 and Retry-After while the database is down, then recovers', async () => {
  await pg.stop();
  for (const path of READS()) {
    const res = await api.http().get(path).set('Authorization', `Bearer ${api.readToken}`);
    expect({ path, status: res.status, retryAfter: res.headers['retry-after'], type: res.headers['content-type'] }).toEqual({
      path,
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      type: expect.stringMatching(/application\/problem\+json/),
    });
    expect(JSON.parse(res.text).detail).toMatch(/database is unavailable/);
  }
  // a write meets the same answer
  const write = await api.http().post('/api/v1/connectors').set('Authorization', `Bearer ${api.adminToken}`).send(connectorBody());
  expect({ status: write.status, retryAfter: write.headers['retry-after'] }).toEqual({ status: 503, retryAfter: expect.any(String) });

  await pg.start();
  // connections the pool held before the stop are dropped as they fail; new ones reach the restarted server
  const back = await eventually(async () => {
    const res = await api.http().get(`/api/v1/connectors/${connectorId}`).set('Authorization', `Bearer ${api.readToken}`);
    return res.status === 200 ? res : undefined;
  });
  expect(back.body.id).toBe(connectorId);
}, 120_000);
