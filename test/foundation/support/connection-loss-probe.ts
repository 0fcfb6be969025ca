/**
 * A process that holds two checked-out database connections of the application's DataSource (a
 * TypeORM QueryRunner in a transaction, as the API's services use, and a raw pool client, as the
 * import's Db.transaction uses) while the test terminates their backends. Prints their pids, then
 * "survived <n>" once both losses were reported and a fresh query worked. Without an error
 * listener on checked-out connections, Node ends this process on the first loss instead.
 * `node --import tsx test/foundation/support/connection-loss-probe.ts` (DATABASE_URL from the env).
 */
import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/persistence';

async function main(): Promise<void> {
  const reported: string[] = [];
  const ds = createDataSource(loadConfig().databaseUrl, { poolSize: 3, onConnectionError: (m) => reported.push(m) });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  const [{ pid: typeormPid }] = (await runner.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>;
  const raw = await ((ds.driver as PostgresDriver).master as Pool).connect();
  await raw.query('BEGIN');
  const { rows } = await raw.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  process.stdout.write(`pids ${typeormPid} ${rows[0].pid}\n`);

  const deadline = Date.now() + 30_000;
  while (reported.length < 2) {
    if (Date.now() > deadline) throw new Error(`only ${reported.length} connection losses reported`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // the broken connections fail their next statement and leave the pool; new ones work
  await runner.query('SELECT 1').then(
    () => {
      throw new Error('a terminated connection answered');
    },
    () => undefined,
  );
  await runner.release().catch(() => undefined);
  raw.release(new Error('connection lost'));
  const [{ ok }] = await ds.query<Array<{ ok: number }>>('SELECT 1 AS ok');
  process.stdout.write(`survived ${reported.length} ${ok}\n`);
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error('probe failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
