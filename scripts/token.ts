/**
 * `npm run token -- create --name NAME --scope read|admin` prints a new API token once.
 * Also: `list`, `revoke --id ID`. Uses DATABASE_URL, else the dev stack's database.
 */
import { createDataSource } from '../libs/persistence/src/data-source';
import { createApiToken } from '../apps/api/src/auth/api-tokens';
import { resolveDatabaseUrl } from './lib/dev-database';

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

const USAGE = 'usage: npm run token -- create --name NAME --scope read|admin | list | revoke --id ID';

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (!command || !['create', 'list', 'revoke'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const name = arg(argv, 'name');
  const scope = arg(argv, 'scope');
  if (command === 'create' && (!name || !name.trim() || (scope !== 'read' && scope !== 'admin'))) {
    console.error(`create needs --name and --scope read|admin\n${USAGE}`);
    return 2;
  }
  const id = arg(argv, 'id');
  if (command === 'revoke' && !/^[0-9a-f-]{36}$/.test(id ?? '')) {
    console.error(`revoke needs --id <token id>\n${USAGE}`);
    return 2;
  }
  const ds = createDataSource(resolveDatabaseUrl(), { poolSize: 1 });
  try {
    await ds.initialize();
  } catch (err) {
    console.error(`cannot reach the database: ${err instanceof Error ? err.message : String(err)} (is \`npm run dev\` running, or DATABASE_URL set?)`);
    return 1;
  }
  try {
    if (command === 'create') {
      const created = await createApiToken(ds, (name as string).trim(), scope as 'read' | 'admin');
      console.log(`token id ${created.id} (scope ${scope}); copy the token now, it is not shown again:`);
      console.log(created.token);
    } else if (command === 'list') {
      const rows: Array<Record<string, unknown>> = await ds.query(
        `SELECT id, name, scope, created_at, last_used_at, revoked_at FROM api_token ORDER BY created_at`,
      );
      console.table(rows);
    } else {
      const rows: unknown[] = await ds.query(`WITH revoked AS (UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id) SELECT id FROM revoked`, [id]);
      console.log(rows.length ? `revoked ${id}` : `no active token with id ${id}`);
    }
    return 0;
  } finally {
    await ds.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
