import { loadDevOverrides } from '../../libs/config/src/config';

/** DATABASE_URL when set, else the dev stack's embedded PostgreSQL (started by `npm run dev`). */
export function resolveDatabaseUrl(): string {
  return loadDevOverrides().databaseUrl ?? 'postgres://postgres:postgres@127.0.0.1:54329/scim_import';
}
