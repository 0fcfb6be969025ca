/**
 * `npm run migrate` applies pending migrations (under an advisory lock); `-- --seed` also adds the
 * default templates and folders; `npm run migrate -- down` reverts the newest migration.
 */
import { revertLastMigration, runMigrations } from '../libs/persistence/src/migrate';
import { createDataSource } from '../libs/persistence/src/data-source';
import { seedDefaultTargetStore } from '../libs/persistence/src/seed';
import { resolveDatabaseUrl } from './lib/dev-database';

async function main(direction: string | undefined): Promise<void> {
  const url = resolveDatabaseUrl();
  if (direction === 'down') {
    await revertLastMigration(url);
    console.log('reverted the newest migration');
    return;
  }
  const applied = await runMigrations(url);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  if (process.argv.includes('--seed')) {
    // the default templates and folders, so a new installation accepts the documented example task
    const ds = createDataSource(url, { poolSize: 1 });
    await ds.initialize();
    try {
      await seedDefaultTargetStore(ds);
      console.log('default templates and folders present (account, entitlement, failure)');
    } finally {
      await ds.destroy();
    }
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
