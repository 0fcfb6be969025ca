/**
 * The bootstrap admin token follows API_TOKEN: after a change only the new one works, and the
 * start-up log says that the old one was revoked (without either token). Runs on a database of
 * its own, because every API start in the shared test database syncs the suite's own token.
 */
import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { Client } from 'pg';
import { loadConfig } from '../../libs/config/src/config';
import { runMigrations } from '../../libs/persistence/src/migrate';
import { startApi } from '../support/api-harness';

const adminUrl = loadConfig().databaseUrl;
const name = `bootstrap_${randomBytes(4).toString('hex')}`;
const databaseUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
})();
// a namespace of its own: the start-up schedule reconciliation of an API on an empty database
// would otherwise take the other tests' schedules for orphans
const temporalNamespace = `no-such-namespace-${name}`;

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Collects every log line of an API instance. */
function captureLogs(): { logger: LoggerService; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: unknown, ...rest: unknown[]) => lines.push(`${level} ${String(message)} ${rest.map(String).join(' ')}`);
  return { lines, logger: { log: push('log'), warn: push('warn'), error: push('error'), debug: push('debug'), verbose: push('verbose') } };
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${name}`);
  await runMigrations(databaseUrl);
});
afterAll(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

it('only the current API_TOKEN works; a replaced or removed one is revoked at start-up and the log says so', async () => {
  const first = `sit_first_${randomBytes(18).toString('base64url')}`;
  const second = `sit_second_${randomBytes(18).toString('base64url')}`;
  const call = async (api: Awaited<ReturnType<typeof startApi>>, token: string) => (await api.http().get('/api/v1/tasks').set('Authorization', `Bearer ${token}`)).status;

  const a = await startApi({ databaseUrl, temporalNamespace, apiToken: first });
  try {
    expect(await call(a, first)).toBe(200);
  } finally {
    await a.close();
  }

  const logs = captureLogs();
  const b = await startApi({ databaseUrl, temporalNamespace, apiToken: second }, logs.logger);
  try {
    expect(await call(b, second)).toBe(200);
    expect(await call(b, first)).toBe(401);
    const said = logs.lines.filter((l) => /revoked 1 earlier bootstrap admin token/.test(l));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/API_TOKEN has changed/);
    for (const line of logs.lines) {
      expect(line).not.toContain(first);
      expect(line).not.toContain(second);
    }
  } finally {
    await b.close();
  }

  // configured again later, the first token works again and the second one stops
  const c = await startApi({ databaseUrl, temporalNamespace, apiToken: first });
  try {
    expect(await call(c, first)).toBe(200);
    expect(await call(c, second)).toBe(401);
  } finally {
    await c.close();
  }

  // without API_TOKEN there is no bootstrap token at all
  const none = captureLogs();
  const d = await startApi({ databaseUrl, temporalNamespace, apiToken: undefined }, none.logger);
  try {
    expect(await call(d, first)).toBe(401);
    expect(none.lines.some((l) => /revoked 1 earlier bootstrap admin token\(s\): API_TOKEN is no longer set/.test(l))).toBe(true);
  } finally {
    await d.close();
  }
});
