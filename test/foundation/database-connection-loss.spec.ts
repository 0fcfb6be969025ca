/**
 * A connection the server drops while the application holds it (a PostgreSQL restart, crash
 * recovery, pg_terminate_backend) fails what uses it next and never ends the process: the
 * DataSource every app builds gives each pooled connection an error listener.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/persistence';

const ROOT = resolve(__dirname, '..', '..');
let ds: DataSource;

beforeAll(async () => {
  ds = createDataSource(loadConfig().databaseUrl, { poolSize: 1 });
  await ds.initialize();
});
afterAll(() => ds.destroy());

it('a process whose checked-out connections are terminated keeps running and queries again', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/foundation/support/connection-loss-probe.ts'], {
    cwd: ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const pids = await new Promise<number[]>((done, fail) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /pids (\d+) (\d+)/.exec(out);
      if (m) done([Number(m[1]), Number(m[2])]);
    });
    child.once('exit', (code) => fail(new Error(`probe exited early (${code}): ${err}`)));
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  for (const pid of pids) {
    const [{ ok }] = await ds.query<Array<{ ok: boolean }>>('SELECT pg_terminate_backend($1) AS ok', [pid]);
    expect(ok).toBe(true);
  }
  const code = await exited;
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out).toMatch(/survived \d+ 1/);
}, 60_000);
