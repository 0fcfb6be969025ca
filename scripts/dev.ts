/**
 * `npm run dev`: the whole stack in one terminal. Starts embedded PostgreSQL and the Temporal dev
 * server (unless DATABASE_URL / TEMPORAL_ADDRESS are set), migrates, seeds, starts the demo SCIM
 * source, then the API and the worker (each started again when it dies). Ctrl-C stops everything;
 * data stays under .data/.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDataSource, runMigrations, seedDefaultTargetStore } from '../libs/persistence/src';
import { childEnvironment, loadDevOverrides, orExit } from '../libs/config/src/config';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { createLauncher, keptSecrets, pipeLines, randomSecret, say, stackBanner, waitForHealth } from './lib/launcher';
import { supervise } from './lib/supervise';
import { ensureTemporalCli, startTemporalDevServer } from './lib/temporal-dev-server';
import { startScimDemoServer } from '../apps/scim-demo/src';
import { WORKER_NODE_FLAGS } from '../apps/worker/src/node-flags';

const ROOT = resolve(__dirname, '..', '..');
const DATA = join(ROOT, '.data');

interface DevSecrets {
  secretKey: string;
  apiToken: string;
  scimUsername: string;
  scimPassword: string;
}

/** Secrets generated once and kept under .data/ so a second start reuses them. */
function devSecrets(): DevSecrets {
  return keptSecrets<DevSecrets>(join(DATA, 'dev-secrets.json'), () => ({
    secretKey: randomBytes(32).toString('base64'),
    apiToken: `sit_dev_${randomSecret(24)}`,
    scimUsername: 'demo',
    scimPassword: randomSecret(9),
  }));
}

async function main(): Promise<void> {
  const overrides = orExit(() => loadDevOverrides());
  mkdirSync(DATA, { recursive: true });
  const secrets = devSecrets();
  const launcher = createLauncher('dev');
  const shutdown = (code: number) => launcher.shutdown(code);

  try {
    let databaseUrl = overrides.databaseUrl;
    if (!databaseUrl) {
      say('postgres', 'starting embedded PostgreSQL (data in .data/pg) ...');
      const pgLog: string[] = [];
      const pg = await startEmbeddedPostgres({
        dataDir: join(DATA, 'pg'),
        port: 54329,
        database: 'scim_import',
        persistent: true,
        onLog: (line) => pgLog.push(...line.split('\n').filter((l) => l.trim())),
      }).catch((err: unknown) => {
        // embedded-postgres rejects without a reason when postgres exits; its own output says why
        for (const line of pgLog.slice(-15)) say('postgres', line);
        throw new Error(`embedded PostgreSQL did not start${err instanceof Error ? `: ${err.message}` : ''} (port 54329 busy, or a damaged .data/pg?)`);
      });
      launcher.onStop(() => pg.stop());
      databaseUrl = pg.url;
    }
    let temporalAddress = overrides.temporalAddress;
    let temporalUiUrl = 'http://localhost:8233';
    if (!temporalAddress) {
      const cliPath = ensureTemporalCli(ROOT);
      say('temporal', 'starting Temporal dev server (state in .data/temporal.db) ...');
      const server = await startTemporalDevServer({
        cliPath,
        port: 7233,
        uiPort: 8233,
        dbFile: join(DATA, 'temporal.db'),
        namespace: 'default',
        onLog: (line) => say('temporal', line),
      });
      launcher.onStop(() => server.stop());
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl ?? temporalUiUrl;
    }

    const applied = await runMigrations(databaseUrl);
    say('dev', applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    const ds = createDataSource(databaseUrl, { poolSize: 1 });
    await ds.initialize();
    await seedDefaultTargetStore(ds);
    await ds.destroy();

    const scim = await startScimDemoServer({
      port: overrides.scimDemoPort,
      auth: { basic: { username: secrets.scimUsername, password: secrets.scimPassword } },
      seed: { users: 300, groups: 30, membersPerUser: 3, devices: 50 },
    });
    launcher.onStop(() => scim.close());

    const env = childEnvironment({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      SECRET_KEY: secrets.secretKey,
      API_TOKEN: secrets.apiToken,
      API_PORT: String(overrides.apiPort),
      TEMPORAL_UI_URL: temporalUiUrl,
      LOG_FORMAT: overrides.logFormat,
      // the demo SCIM source listens on this machine: loopback, which production refuses by default
      OUTBOUND_ALLOWED_NETWORKS: overrides.outboundAllowedNetworks,
      // children write to pipes; keep colour only when the launcher itself talks to a terminal
      ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }),
    });
    for (const [name, entry, flags] of [
      ['api', 'dist/apps/api/src/main.js', []],
      ['worker', 'dist/apps/worker/src/main.js', WORKER_NODE_FLAGS],
    ] as const) {
      // a worker or API that dies (a crash, an out-of-memory kill, kill -9) is started again; the
      // rest of the stack keeps running
      launcher.supervised(
        supervise({
          name,
          spawn: () => {
            const child = spawn(process.execPath, [...flags, '--enable-source-maps', join(ROOT, entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
            pipeLines(name, child);
            return child;
          },
          log: (line) => say('dev', line),
        }),
      );
    }

    const apiUrl = `http://localhost:${overrides.apiPort}`;
    if (!(await waitForHealth(`${apiUrl}/health`, 90_000))) {
      say('dev', `API did not become healthy at ${apiUrl}/health`);
      return shutdown(1);
    }
    const banner = stackBanner({
      apiUrl,
      temporalUiUrl,
      workerMetrics: `http://localhost:${env.WORKER_METRICS_PORT ?? '9464'}/metrics (worker)`,
      adminToken: secrets.apiToken,
      extra: [`  Demo SCIM    ${scim.url}  (basic auth: ${secrets.scimUsername} / ${secrets.scimPassword})`],
      footer: 'Ctrl-C stops everything; data stays in .data/',
    });
    for (const line of banner) say('dev', line);
  } catch (err) {
    say('dev', `start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }
}

void main();
