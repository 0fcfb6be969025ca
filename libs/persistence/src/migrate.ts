import { createDataSource } from './data-source';

// any fixed 64-bit number works; API, worker and dev script all use this one
const MIGRATION_LOCK_KEY = 7_365_180_432_001;

/**
 * Runs pending migrations under a PostgreSQL advisory lock so concurrent starters
 * (API, worker, dev script) never race. Returns the names of migrations applied.
 */
export async function runMigrations(databaseUrl: string): Promise<string[]> {
  const ds = createDataSource(databaseUrl, { poolSize: 2 });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}

/** Reverts the newest migration (used by `npm run migrate -- down`). */
export async function revertLastMigration(databaseUrl: string): Promise<void> {
  const ds = createDataSource(databaseUrl, { poolSize: 2 });
  await ds.initialize();
  try {
    await ds.undoLastMigration({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
