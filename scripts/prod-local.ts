/**
 * `npm run prod:local`: the production topology of docker-compose.yml without a container engine.
 * PostgreSQL (embedded) with the compose roles and databases; Temporal's schema made by the
 * server's own temporal-sql-tool through deploy/temporal/setup-schema.sh; the real Temporal server
 * (built by scripts/ensure-temporal-server.sh) on that database; the namespace and search
 * attributes through deploy/temporal/init-namespace.sh; the Temporal UI server; the migration job;
 * then the API and two workers as separate processes with the compose environment. Servers and
 * application processes are started again when they die (compose: restart unless-stopped).
 * Ctrl-C stops everything; data stays in .data/prod-local/ (PROD_LOCAL_DATA_DIR).
 *
 *   npm run prod:local              # compose ports: API 3000, Temporal 7233, UI 8080, metrics 9464/9465
 *   npm run prod:local -- --demo    # also the demo SCIM source (loopback allowed for it)
 *   PROD_LOCAL_PORTS=ephemeral      # every port but API_PORT a free one
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { childEnvironment, loadDevOverrides, orExit } from '../libs/config/src/config';
import { startScimDemoServer } from '../apps/scim-demo/src';
import { WORKER_NODE_FLAGS } from '../apps/worker/src/node-flags';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { waitForPort } from './lib/free-port';
import { createLauncher, keptSecrets, pipeLines, randomSecret, say, stackBanner, waitForHealth } from './lib/launcher';
import {
  composeAppEnvironment,
  createRolesAndDatabases,
  ensureTemporalServer,
  prodLocalPorts,
  temporalServerConfig,
  temporalUiConfig,
  waitForPollers,
  type ProdLocalSecrets,
} from './lib/prod-local';
import { supervise, type Supervisor } from './lib/supervise';
import { ensureTemporalCli } from './lib/temporal-dev-server';

const ROOT = resolve(__dirname, '..', '..');
const TAG = 'prod';
const NAMESPACE = 'default';

/** Runs a one-shot job (compose: restart 'no', waited for with service_completed_successfully). */
function runJob(name: string, command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    pipeLines(name, child);
    child.once('error', fail);
    child.once('exit', (code, signal) => (code === 0 ? done() : fail(new Error(`${name} failed (${signal ?? `exit code ${code}`})`))));
  });
}

async function main(): Promise<void> {
  const overrides = orExit(() => loadDevOverrides());
  const demo = process.argv.includes('--demo');
  const data = resolve(process.env.PROD_LOCAL_DATA_DIR?.trim() || join(ROOT, '.data', 'prod-local'));
  mkdirSync(data, { recursive: true });
  const secrets = keptSecrets<ProdLocalSecrets & { scimPassword: string }>(join(data, 'secrets.json'), () => ({
    postgresPassword: randomSecret(18),
    appDbPassword: randomSecret(18),
    temporalDbPassword: randomSecret(18),
    secretKey: randomBytes(32).toString('base64'),
    apiToken: `sit_local_${randomSecret(24)}`,
    scimPassword: randomSecret(9),
  }));
  const launcher = createLauncher(TAG);
  const base = childEnvironment({ NODE_ENV: 'production', NODE_OPTIONS: '--enable-source-maps' });

  try {
    const started = Date.now();
    const ports = await prodLocalPorts(overrides.apiPort, process.env.PROD_LOCAL_PORTS?.trim() === 'ephemeral');
    const temporalAddress = `127.0.0.1:${ports.temporal.frontendGrpc}`;
    const temporalUiUrl = `http://127.0.0.1:${ports.temporalUi}`;

    const bin = ensureTemporalServer(ROOT);
    const cli = ensureTemporalCli(ROOT);

    say('postgres', `starting embedded PostgreSQL on 127.0.0.1:${ports.postgres} (data in ${data}/pg) ...`);
    const pgLog: string[] = [];
    const pg = await startEmbeddedPostgres({
      dataDir: join(data, 'pg'),
      port: ports.postgres,
      database: 'postgres',
      persistent: true,
      password: secrets.postgresPassword,
      // stopped by the launcher, after the Temporal server and the application
      callerHandlesSignals: true,
      onLog: (line) => pgLog.push(...line.split('\n').filter((l) => l.trim())),
    }).catch((err: unknown) => {
      for (const line of pgLog.slice(-15)) say('postgres', line);
      throw new Error(
        `embedded PostgreSQL did not start${err instanceof Error ? `: ${err.message}` : ''} (port ${ports.postgres} busy, or a damaged ${data}/pg?)`,
      );
    });
    launcher.onStop(() => pg.stop());
    await createRolesAndDatabases({
      port: ports.postgres,
      superuserPassword: secrets.postgresPassword,
      appDbPassword: secrets.appDbPassword,
      temporalDbPassword: secrets.temporalDbPassword,
    });
    const appEnv = (workerMetricsPort: number) => ({
      ...base,
      ...composeAppEnvironment({
        databaseUrl: `postgres://scim_import:${encodeURIComponent(secrets.appDbPassword)}@127.0.0.1:${ports.postgres}/scim_import`,
        temporalAddress,
        apiPort: ports.api,
        secretKey: secrets.secretKey,
        apiToken: secrets.apiToken,
        temporalUiUrl,
        workerMetricsPort,
        // the demo source listens on loopback, which the production rule refuses
        env: demo ? { ...process.env, OUTBOUND_ALLOWED_NETWORKS: overrides.outboundAllowedNetworks } : process.env,
      }),
    });

    // compose: migrate runs once postgres is healthy, beside the Temporal chain
    const migrate = runJob(
      'migrate',
      process.execPath,
      [join(ROOT, 'dist/scripts/migrate.js'), 'up', '--seed'],
      appEnv(ports.workerMetrics[0]),
    );

    const temporal = (async () => {
      // temporal-schema: the admin-tools job's script with this machine's tool and schema files
      await runJob('temporal-schema', 'sh', [join(ROOT, 'deploy/temporal/setup-schema.sh')], {
        ...base,
        POSTGRES_SEEDS: '127.0.0.1',
        DB_PORT: String(ports.postgres),
        POSTGRES_USER: 'temporal',
        SQL_PASSWORD: secrets.temporalDbPassword,
        TEMPORAL_SQL_TOOL: bin.sqlTool,
        SCHEMA_ROOT: bin.schemaRoot,
      });

      const configFile = join(data, 'temporal', 'config.yaml');
      mkdirSync(join(data, 'temporal'), { recursive: true });
      writeFileSync(
        configFile,
        temporalServerConfig({
          ports,
          dynamicConfigFile: join(ROOT, 'deploy/temporal/dynamicconfig/production-sql.yaml'),
          logLevel: process.env.TEMPORAL_LOG_LEVEL?.trim() || 'warn',
        }),
      );
      launcher.service(
        supervise({
          name: 'temporal',
          spawn: () => {
            const child = spawn(bin.server, ['--config-file', configFile, '--allow-no-auth', 'start'], {
              cwd: data,
              env: { ...base, POSTGRES_PWD: secrets.temporalDbPassword },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            pipeLines('temporal', child);
            return child;
          },
          onStart: (child) => say(TAG, `temporal server started (pid ${child.pid}), frontend ${temporalAddress}`),
          log: (line) => say(TAG, line),
          killAfterMs: 20_000,
        }),
      );
      await waitForPort('127.0.0.1', ports.temporal.frontendGrpc, 120_000);

      // temporal-init: namespace and search attributes, once the frontend answers
      await runJob('temporal-init', 'sh', [join(ROOT, 'deploy/temporal/init-namespace.sh')], {
        ...base,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: NAMESPACE,
        TEMPORAL_NAMESPACE_RETENTION: process.env.TEMPORAL_NAMESPACE_RETENTION?.trim() || '720h',
        TEMPORAL_CLI: cli,
      });

      // temporal-ui
      const uiDir = join(data, 'temporal-ui');
      mkdirSync(uiDir, { recursive: true });
      writeFileSync(join(uiDir, 'base.yaml'), temporalUiConfig({ temporalAddress, port: ports.temporalUi, namespace: NAMESPACE }));
      launcher.service(
        supervise({
          name: 'temporal-ui',
          spawn: () => {
            const child = spawn(bin.uiServer, ['--root', data, '--config', 'temporal-ui', '--env', 'production', 'start'], {
              cwd: data,
              env: base,
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            pipeLines('temporal-ui', child);
            return child;
          },
          onStart: (child) => say(TAG, `temporal-ui started (pid ${child.pid})`),
          log: (line) => say(TAG, line),
        }),
      );
    })();

    await Promise.all([migrate, temporal]);

    let scimLine: string[] = [];
    if (demo) {
      const scim = await startScimDemoServer({
        port: overrides.scimDemoPort,
        auth: { basic: { username: 'demo', password: secrets.scimPassword } },
        seed: { users: 300, groups: 30, membersPerUser: 3, devices: 50 },
      });
      launcher.onStop(() => scim.close());
      scimLine = [`  Demo SCIM    ${scim.url}  (basic auth: demo / ${secrets.scimPassword})`];
    }

    const apps: Array<[string, string, readonly string[], number]> = [
      ['api', 'dist/apps/api/src/main.js', [], ports.workerMetrics[0]],
      ['worker-1', 'dist/apps/worker/src/main.js', WORKER_NODE_FLAGS, ports.workerMetrics[0]],
      ['worker-2', 'dist/apps/worker/src/main.js', WORKER_NODE_FLAGS, ports.workerMetrics[1]],
    ];
    const workers: Supervisor[] = [];
    for (const [name, entry, flags, metricsPort] of apps) {
      const supervisor = launcher.supervised(
        supervise({
          name,
          spawn: () => {
            const child = spawn(process.execPath, [...flags, join(ROOT, entry)], {
              cwd: ROOT,
              env: appEnv(metricsPort),
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            pipeLines(name, child);
            return child;
          },
          onStart: (child) => say(TAG, `${name} started (pid ${child.pid})`),
          log: (line) => say(TAG, line),
          // compose: stop_grace_period 60s, for in-flight activity attempts to finish
          killAfterMs: name === 'api' ? 15_000 : 60_000,
        }),
      );
      if (name !== 'api') workers.push(supervisor);
    }

    const apiUrl = `http://localhost:${ports.api}`;
    if (!(await waitForHealth(`${apiUrl}/health`, 120_000))) {
      say(TAG, `API did not become healthy at ${apiUrl}/health`);
      return launcher.shutdown(1);
    }
    // compose's workers bundle the workflow code at start: ready once the server lists both pollers
    const polling = await waitForPollers({
      address: temporalAddress,
      namespace: NAMESPACE,
      taskQueue: 'scim-import',
      pids: () => workers.flatMap((w) => w.current()?.pid ?? []),
      timeoutMs: 180_000,
    });
    if (!polling) say(TAG, 'the workers do not poll the task queue yet; runs wait for them (see their lines above)');
    const banner = stackBanner({
      apiUrl,
      temporalUiUrl,
      workerMetrics: ports.workerMetrics.map((p, i) => `http://localhost:${p}/metrics (worker-${i + 1})`).join(', '),
      adminToken: secrets.apiToken,
      extra: [
        `  Temporal     ${temporalAddress}  (gRPC, e.g. temporal --address ${temporalAddress} workflow list)`,
        `  PostgreSQL   127.0.0.1:${ports.postgres}  (databases scim_import, temporal, temporal_visibility)`,
        ...scimLine,
      ],
      footer: `Ctrl-C stops everything; data stays in ${data}/ (up in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    });
    for (const line of banner) say(TAG, line);
  } catch (err) {
    say(TAG, `start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await launcher.shutdown(1);
  }
}

void main();
