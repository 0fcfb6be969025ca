/** `npm run migrate` applies pending migrations (under an advisory lock); `npm run migrate -- down` reverts the newest. */
import { revertLastMigration, runMigrations } from '../libs/persistence/src/migrate';
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
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
