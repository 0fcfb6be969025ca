/**
 * Jest global setup: a real PostgreSQL (embedded) and a real Temporal dev server for the whole
 * suite, unless DATABASE_URL / TEMPORAL_ADDRESS point at running ones. Children inherit the
 * environment set here.
 */
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { freePort } from '../../scripts/lib/free-port';
import { startEmbeddedPostgres } from '../../scripts/lib/embedded-postgres';
import { ensureTemporalCli, startTemporalDevServer } from '../../scripts/lib/temporal-dev-server';
import { runMigrations } from '../../libs/persistence/src/migrate';

const ROOT = resolve(__dirname, '..', '..');

declare global {
  var __SCIM_IMPORT_TEARDOWN__: Array<() => Promise<void>> | undefined;
}

async function waitForNamespace(address: string, namespace: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

export default async function globalSetup(): Promise<void> {
  const teardown: Array<() => Promise<void>> = [];
  globalThis.__SCIM_IMPORT_TEARDOWN__ = teardown;
  process.env.TEMPORAL_NAMESPACE ??= 'default';
  process.env.SECRET_KEY ??= randomBytes(32).toString('base64');
  process.env.TASK_QUEUE ??= 'scim-import-test';
  process.env.LOG_LEVEL ??= 'warn';
  // worker processes started by tests must not fight over the default metrics port (9464); a test that
  // reads metrics gives its worker a free port of its own
  process.env.WORKER_METRICS_PORT ??= '0';
  // the tests' SCIM servers listen on loopback, which the outbound address rule refuses by default;
  // link-local and metadata addresses stay refused (a test that needs the production rule passes [])
  process.env.OUTBOUND_ALLOWED_NETWORKS ??= '127.0.0.0/8,::1';
  // one bootstrap token for every API the suite starts: each start revokes any other bootstrap token
  process.env.API_TOKEN ??= `sit_test_bootstrap_${randomBytes(18).toString('base64url')}`;

  if (!process.env.DATABASE_URL) {
    const port = await freePort();
    const dataDir = join(ROOT, '.data', `test-pg-${process.pid}`);
    rmSync(dataDir, { recursive: true, force: true });
    const pg = await startEmbeddedPostgres({ dataDir, port, database: 'scim_import_test', persistent: false, fast: true });
    process.env.DATABASE_URL = pg.url;
    teardown.push(async () => {
      await pg.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }
  await runMigrations(process.env.DATABASE_URL);

  if (!process.env.TEMPORAL_ADDRESS) {
    const cliPath = ensureTemporalCli(ROOT);
    const port = await freePort();
    const server = await startTemporalDevServer({ cliPath, port, namespace: process.env.TEMPORAL_NAMESPACE });
    process.env.TEMPORAL_ADDRESS = server.address;
    teardown.push(() => server.stop());
  }
  await waitForNamespace(process.env.TEMPORAL_ADDRESS, process.env.TEMPORAL_NAMESPACE);
}
