/**
 * `npm run dev`: the whole stack in one terminal. Starts embedded PostgreSQL and the Temporal dev
 * server (unless DATABASE_URL / TEMPORAL_ADDRESS are set), migrates, seeds, starts the demo SCIM
 * source, then the API and the worker (each started again when it dies). Ctrl-C stops everything;
 * data stays under .data/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDataSource, runMigrations, seedDefaultTargetStore } from '../libs/persistence/src';
import { childEnvironment, loadDevOverrides, orExit } from '../libs/config/src/config';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { supervise, type Supervisor } from './lib/supervise';
import { ensureTemporalCli, startTemporalDevServer } from './lib/temporal-dev-server';
import { startScimDemoServer } from '../apps/scim-demo/src';
import { WORKER_NODE_FLAGS } from '../apps/worker/src/node-flags';

const ROOT = resolve(__dirname, '..', '..');
const DATA = join(ROOT, '.data');
const colors = { api: '\x1b[36m', worker: '\x1b[35m', temporal: '\x1b[33m', postgres: '\x1b[34m', dev: '\x1b[32m', scim: '\x1b[90m' };
const reset = '\x1b[0m';

function say(source: keyof typeof colors, line: string): void {
  const tag = process.stdout.isTTY ? `${colors[source]}[${source}]${reset}` : `[${source}]`;
  process.stdout.write(`${tag} ${line}\n`);
}

interface DevSecrets {
  secretKey: string;
  apiToken: string;
  scimUsername: string;
  scimPassword: string;
}

/** Secrets generated once and kept under .data/ so a second start reuses them. */
function devSecrets(): DevSecrets {
  const file = join(DATA, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets: DevSecrets = {
    secretKey: randomBytes(32).toString('base64'),
    apiToken: `sit_dev_${randomBytes(24).toString('base64url')}`,
    scimUsername: 'demo',
    scimPassword: randomBytes(9).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function pipeLines(source: keyof typeof colors, child: ChildProcess): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) say(source, line);
    });
  }
}

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main(): Promise<void> {
  const overrides = orExit(() => loadDevOverrides());
  mkdirSync(DATA, { recursive: true });
  const secrets = devSecrets();
  const stops: Array<() => Promise<void>> = [];
  const supervisors: Supervisor[] = [];
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('dev', 'stopping ...');
    await Promise.all(supervisors.map((s) => s.stop()));
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        say('dev', `stop step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    say('dev', 'stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

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
      stops.push(() => pg.stop());
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
      stops.push(() => server.stop());
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
    stops.push(() => scim.close());

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
      supervisors.push(
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
    const banner = [
      '',
      '  scim-import is running',
      `  Console      ${apiUrl}/`,
      `  API          ${apiUrl}/api/v1`,
      `  OpenAPI      ${apiUrl}/docs`,
      `  Health       ${apiUrl}/health`,
      `  Temporal UI  ${temporalUiUrl}`,
      `  Metrics      ${apiUrl}/metrics (API), http://localhost:${env.WORKER_METRICS_PORT ?? '9464'}/metrics (worker)`,
      `  Admin token  ${secrets.apiToken}`,
      `  Demo SCIM    ${scim.url}  (basic auth: ${secrets.scimUsername} / ${secrets.scimPassword})`,
      '',
      '  Ctrl-C stops everything; data stays in .data/',
      '',
    ];
    for (const line of banner) say('dev', line);
  } catch (err) {
    say('dev', `start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown(1);
  }
}

void main();
