/**
 * A long SQL statement of an activity heartbeats while it runs (a single statement never looks
 * like a dead worker), and cancelling the activity (a cancelled run, or a heartbeat timeout)
 * cancels the statement on the server instead of leaving it running with its locks.
 */
import { randomBytes } from 'node:crypto';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/persistence';
import { currentActivity } from '../../libs/import/src/infrastructure/activity-context';
import { Db } from '../../libs/persistence/src/db';
import { eventually } from '../support/fixtures';

const TAG = `long-statement-${randomBytes(4).toString('hex')}`;
let ds: DataSource;
let db: Db;

beforeAll(async () => {
  ds = createDataSource(loadConfig().databaseUrl, { poolSize: 3 });
  await ds.initialize();
  db = Db.fromDataSource(ds);
});
afterAll(() => ds.destroy());

/** Server processes running the tagged statement (this query's own backend excluded). */
async function running(kind: string): Promise<number> {
  const rows: Array<{ n: string }> = await ds.query(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1`,
    [`%${TAG}-${kind}%`],
  );
  return Number(rows[0].n);
}

it('a long statement heartbeats while it runs and a cancelled activity cancels it on the server', async () => {
  const env = new MockActivityEnvironment();
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const work = env.run(async () => {
    const activity = currentActivity();
    activity.heartbeat({ position: 7 });
    return db.longQuery(activity, `SELECT pg_sleep(120) AS "${TAG}-query"`);
  });
  work.catch(() => undefined);
  await eventually(async () => (await running('query')) === 1, 20_000, 50);
  const before = beats.length;
  await eventually(async () => beats.length >= before + 2, 20_000, 100);
  // keep-alive heartbeats repeat the last details: a resume position is never replaced by nothing
  expect(beats.every((b) => JSON.stringify(b) === JSON.stringify({ position: 7 }))).toBe(true);

  env.cancel();
  await expect(work).rejects.toBeInstanceOf(CancelledFailure);
  await eventually(async () => (await running('query')) === 0, 20_000, 50);
});

it('a cancelled activity cancels the statement its transaction runs, and the transaction rolls back', async () => {
  const table = `long_tx_${randomBytes(4).toString('hex')}`;
  await ds.query(`CREATE TABLE ${table} (n int)`);
  try {
    const env = new MockActivityEnvironment();
    const work = env.run(async () =>
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (1)`);
        await tx.query(`SELECT pg_sleep(120) AS "${TAG}-tx"`);
      }, currentActivity()),
    );
    work.catch(() => undefined);
    await eventually(async () => (await running('tx')) === 1, 20_000, 50);
    env.cancel();
    await expect(work).rejects.toBeInstanceOf(CancelledFailure);
    await eventually(async () => (await running('tx')) === 0, 20_000, 50);
    const rows: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM ${table}`);
    expect(Number(rows[0].n)).toBe(0);
  } finally {
    await ds.query(`DROP TABLE ${table}`);
  }
});
