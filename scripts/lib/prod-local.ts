/**
 * The pieces of `npm run prod:local` (scripts/prod-local.ts) that are not process plumbing: its
 * ports, the binaries of scripts/ensure-temporal-server.sh, the roles and databases of
 * deploy/postgres/init-databases.sh, the Temporal server's and the UI server's configuration, and
 * the environment docker-compose.yml gives the application containers.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Client } from 'pg';
import { freePort, freePortInRange } from './free-port';

export interface ProdLocalPorts {
  api: number;
  postgres: number;
  temporalUi: number;
  /** one per worker process (WORKER_METRICS_PORT) */
  workerMetrics: [number, number];
  temporal: {
    frontendGrpc: number;
    frontendHttp: number;
    frontendMembership: number;
    historyGrpc: number;
    historyMembership: number;
    matchingGrpc: number;
    matchingMembership: number;
    workerGrpc: number;
    workerMembership: number;
  };
}

/**
 * The compose ports (API 3000, Temporal 7233 and its usual service ports, UI 8080, worker metrics
 * 9464/9465) and PostgreSQL on 54339 (beside the dev stack's 54329). API_PORT moves the API;
 * with `ephemeral` every other port is a free one (tests, or a second stack beside the first).
 */
export async function prodLocalPorts(apiPort: number, ephemeral: boolean): Promise<ProdLocalPorts> {
  const pick = async (fixed: number) => (ephemeral ? freePort() : fixed);
  // the Temporal server stores its services' ports in SMALLINT columns: keep them below 32768
  const picked = new Set<number>();
  const pickLow = async (fixed: number) => {
    if (!ephemeral) return fixed;
    for (;;) {
      const port = await freePortInRange(20000, 32767);
      if (!picked.has(port)) {
        picked.add(port);
        return port;
      }
    }
  };
  return {
    api: apiPort,
    postgres: await pick(54339),
    temporalUi: await pick(8080),
    workerMetrics: [await pick(9464), await pick(9465)],
    temporal: {
      frontendGrpc: await pickLow(7233),
      frontendHttp: await pickLow(7243),
      frontendMembership: await pickLow(6933),
      historyGrpc: await pickLow(7234),
      historyMembership: await pickLow(6934),
      matchingGrpc: await pickLow(7235),
      matchingMembership: await pickLow(6935),
      workerGrpc: await pickLow(7239),
      workerMembership: await pickLow(6939),
    },
  };
}

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the server's module (what setup-schema.sh calls SCHEMA_ROOT) */
  schemaRoot: string;
  uiServer: string;
}

/** Runs scripts/ensure-temporal-server.sh (builds on first use; its progress goes to stderr). */
export function ensureTemporalServer(projectRoot: string): TemporalServerBinaries {
  const out = execFileSync('bash', [join(projectRoot, 'scripts', 'ensure-temporal-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const paths = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^(TEMPORAL_[A-Z_]+)=(.+)$/.exec(line.trim());
    if (m) paths.set(m[1], m[2]);
  }
  const get = (key: string) => {
    const value = paths.get(key);
    if (!value) throw new Error(`scripts/ensure-temporal-server.sh printed no ${key}`);
    return value;
  };
  return {
    server: get('TEMPORAL_SERVER'),
    sqlTool: get('TEMPORAL_SQL_TOOL'),
    schemaRoot: get('TEMPORAL_SCHEMA_ROOT'),
    uiServer: get('TEMPORAL_UI_SERVER'),
  };
}

export interface ProdLocalSecrets {
  /** the PostgreSQL superuser's (POSTGRES_PASSWORD in compose) */
  postgresPassword: string;
  appDbPassword: string;
  temporalDbPassword: string;
  secretKey: string;
  apiToken: string;
}

/**
 * What deploy/postgres/init-databases.sh does when the compose PostgreSQL starts on an empty data
 * directory, here idempotent: the `scim_import` role owning its database, and the `temporal` role
 * that may create databases (temporal-sql-tool creates and owns its two itself). The passwords
 * are sent as bound parameters of format(), never in the SQL text.
 */
export async function createRolesAndDatabases(opts: {
  port: number;
  superuserPassword: string;
  appDbPassword: string;
  temporalDbPassword: string;
}): Promise<void> {
  const admin = new Client({
    host: '127.0.0.1',
    port: opts.port,
    user: 'postgres',
    password: opts.superuserPassword,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const role = async (name: string, options: string, password: string) => {
      const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
      const sql = (
        await admin.query<{ sql: string }>(`SELECT format('%s ROLE %I ${options} PASSWORD %L', $1::text, $2::text, $3::text) AS sql`, [
          found.rowCount ? 'ALTER' : 'CREATE',
          name,
          password,
        ])
      ).rows[0].sql;
      await admin.query(sql);
    };
    await role('scim_import', 'LOGIN', opts.appDbPassword);
    await role('temporal', 'LOGIN CREATEDB', opts.temporalDbPassword);
    const db = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'scim_import'");
    if (!db.rowCount) await admin.query('CREATE DATABASE scim_import OWNER scim_import');
  } finally {
    await admin.end();
  }
}

/**
 * The Temporal server's configuration: PostgreSQL persistence and visibility (postgres12 plugin,
 * the databases setup-schema.sh creates), every service on loopback, and the dynamic config file
 * compose mounts. The password is not in the file: the template reads POSTGRES_PWD, the variable
 * the temporalio/server image reads.
 */
export function temporalServerConfig(opts: { ports: ProdLocalPorts; dynamicConfigFile: string; logLevel: string }): string {
  const t = opts.ports.temporal;
  const store = (databaseName: string, conns: number) => [
    `      sql:`,
    `        pluginName: postgres12`,
    `        databaseName: ${databaseName}`,
    `        connectAddr: "127.0.0.1:${opts.ports.postgres}"`,
    `        connectProtocol: tcp`,
    `        user: temporal`,
    `        password: {{ env "POSTGRES_PWD" | quote }}`,
    `        maxConns: ${conns}`,
    `        maxIdleConns: ${conns}`,
    `        maxConnLifetime: 1h`,
  ];
  const service = (name: string, grpc: number, membership: number, http?: number) => [
    `  ${name}:`,
    `    rpc:`,
    `      grpcPort: ${grpc}`,
    `      membershipPort: ${membership}`,
    `      bindOnIP: 127.0.0.1`,
    ...(http ? [`      httpPort: ${http}`] : []),
  ];
  return [
    '# enable-template',
    '# Written by `npm run prod:local` (scripts/lib/prod-local.ts) at every start; edits are lost.',
    '',
    'log:',
    '  stdout: true',
    `  level: ${opts.logLevel}`,
    '',
    'persistence:',
    '  numHistoryShards: 4',
    '  defaultStore: default',
    '  visibilityStore: visibility',
    '  datastores:',
    '    default:',
    ...store('temporal', 20),
    '    visibility:',
    ...store('temporal_visibility', 10),
    '',
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    '    broadcastAddress: 127.0.0.1',
    '  pprof:',
    '    port: 0',
    '',
    'services:',
    ...service('frontend', t.frontendGrpc, t.frontendMembership, t.frontendHttp),
    ...service('matching', t.matchingGrpc, t.matchingMembership),
    ...service('history', t.historyGrpc, t.historyMembership),
    ...service('worker', t.workerGrpc, t.workerMembership),
    '',
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    '  masterClusterName: active',
    '  currentClusterName: active',
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: frontend',
    `      rpcAddress: 127.0.0.1:${t.frontendGrpc}`,
    `      httpAddress: 127.0.0.1:${t.frontendHttp}`,
    '',
    'dcRedirectionPolicy:',
    '  policy: noop',
    '',
    'dynamicConfigClient:',
    `  filepath: ${JSON.stringify(opts.dynamicConfigFile)}`,
    '  pollInterval: 60s',
    '',
  ].join('\n');
}

/** The UI server's configuration (its `base.yaml`): the Temporal frontend, loopback, the port. */
export function temporalUiConfig(opts: { temporalAddress: string; port: number; namespace: string }): string {
  return [
    '# Written by `npm run prod:local` (scripts/lib/prod-local.ts) at every start; edits are lost.',
    `temporalGrpcAddress: ${opts.temporalAddress}`,
    'host: 127.0.0.1',
    `port: ${opts.port}`,
    'enableUi: true',
    `defaultNamespace: ${opts.namespace}`,
    'hideLogs: true',
    'cors:',
    '  cookieInsecure: false',
    '  allowOrigins:',
    `    - http://localhost:${opts.port}`,
    `    - http://127.0.0.1:${opts.port}`,
    '',
  ].join('\n');
}

/**
 * The environment of the compose application containers (`x-app` in docker-compose.yml: migrate,
 * api, worker), with this machine's addresses; WORKER_METRICS_PORT is set per worker process.
 * test/ops/prod-local.spec.ts checks that the names match the compose file's.
 */
export function composeAppEnvironment(opts: {
  databaseUrl: string;
  temporalAddress: string;
  apiPort: number;
  secretKey: string;
  apiToken: string;
  temporalUiUrl: string;
  workerMetricsPort: number;
  env?: Record<string, string | undefined>;
}): Record<string, string> {
  const env = opts.env ?? process.env;
  const or = (name: string, fallback: string) => env[name] ?? fallback;
  return {
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: 'scim-import',
    API_PORT: String(opts.apiPort),
    SECRET_KEY: opts.secretKey,
    API_TOKEN: opts.apiToken,
    LOG_LEVEL: or('LOG_LEVEL', 'log'),
    LOG_FORMAT: or('LOG_FORMAT', 'json'),
    WORKER_METRICS_PORT: String(opts.workerMetricsPort),
    TEMPORAL_UI_URL: opts.temporalUiUrl,
    OUTBOUND_ALLOWED_NETWORKS: or('OUTBOUND_ALLOWED_NETWORKS', ''),
    WORKER_MAX_CONCURRENT_ACTIVITIES: or('WORKER_MAX_CONCURRENT_ACTIVITIES', '8'),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: or('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', '40'),
    // Worker Versioning: both or neither; empty, as in compose, is an unversioned worker
    WORKER_DEPLOYMENT_NAME: or('WORKER_DEPLOYMENT_NAME', ''),
    WORKER_BUILD_ID: or('WORKER_BUILD_ID', ''),
  };
}

/**
 * Resolves true once the Temporal server lists a workflow-task poller of every given process on
 * the task queue (the SDK's identity starts with `<pid>@`), false after timeoutMs.
 */
export async function waitForPollers(opts: {
  address: string;
  namespace: string;
  taskQueue: string;
  pids: () => number[];
  timeoutMs: number;
}): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    const connection = await Connection.connect({ address: opts.address, connectTimeout: 2000 }).catch(() => undefined);
    if (connection) {
      try {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: opts.namespace,
          taskQueue: { name: opts.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        const identities = (pollers ?? []).map((p) => p.identity ?? '');
        if (opts.pids().every((pid) => identities.some((id) => id.startsWith(`${pid}@`)))) return true;
      } catch {
        // not ready yet
      } finally {
        await connection.close();
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
