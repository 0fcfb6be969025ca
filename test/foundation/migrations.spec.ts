/**
 * Every migration has a real down(): on a fresh database the whole chain goes up, all the way
 * down to nothing, and up again, with data in the tables the later migrations change.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { revertLastMigration, runMigrations } from '@app/persistence';
import { MIGRATIONS } from '../../migrations';

const adminUrl = loadConfig().databaseUrl;
const name = `migrations_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
})();

async function withClient<T>(connection: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: connection });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const userTables = (c: Client) =>
  c.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations' ORDER BY 1`).then((r) => r.rows.map((x) => x.table_name));

beforeAll(() => withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`)));
afterAll(() => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

describe('migrations', () => {
  it('go up, down to nothing with data in place, and up again', async () => {
    expect(await runMigrations(url)).toHaveLength(MIGRATIONS.length);
    const tables = await withClient(url, userTables);
    expect(tables).toEqual(expect.arrayContaining(['datacard', 'datacard_link', 'staging_record', 'run', 'run_extract']));

    // rows the later down()s must cope with: a staged record without raw JSON, a link without its member card,
    // a run in a status only the later schema knows
    await withClient(url, async (c) => {
      await c.query(`INSERT INTO template (code, name, attributes) VALUES ('t', 't', '[]')`);
      await c.query(`INSERT INTO folder (code, name, template_code) VALUES ('f', 'f', 't')`);
      const card = await c.query<{ id: string }>(`INSERT INTO datacard (template_code, folder_code, unique_value) VALUES ('t', 'f', 'u') RETURNING id`);
      await c.query(`INSERT INTO datacard_link (datacard_id, attribute_code, target_id) VALUES ($1, 'members', gen_random_uuid())`, [card.rows[0].id]);
      // staging lives in one partition per run (the engine creates it when the run first stages)
      await c.query(`CREATE UNLOGGED TABLE staging_run_0000000000004000800000000000000a PARTITION OF staging_record FOR VALUES IN ('00000000-0000-4000-8000-00000000000a')`);
      await c.query(`INSERT INTO staging_record (run_id, resource, source_id, raw, mapped) VALUES ('00000000-0000-4000-8000-00000000000a', 'identity', 's', NULL, '{}')`);
      await c.query(`INSERT INTO run (task_id, workflow_id, mode, trigger, status, finished_at) VALUES (gen_random_uuid(), 'w-terminated', 'full', 'manual', 'terminated', now())`);
    });

    for (let i = 0; i < MIGRATIONS.length; i++) await revertLastMigration(url);
    expect(await withClient(url, userTables)).toEqual([]);

    expect(await runMigrations(url)).toHaveLength(MIGRATIONS.length);
    expect(await withClient(url, userTables)).toEqual(tables);
  });
});
