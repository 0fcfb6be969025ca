import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { TokenScope } from '@app/persistence';

/** SHA-256 of a token; only this is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a new token and returns it in clear; it cannot be shown again. */
export async function createApiToken(ds: DataSource, name: string, scope: TokenScope): Promise<{ id: string; token: string }> {
  const token = `sit_${randomBytes(32).toString('base64url')}`;
  const rows: Array<{ id: string }> = await ds.query(`INSERT INTO api_token (name, scope, token_hash) VALUES ($1, $2, $3) RETURNING id`, [name, scope, hashToken(token)]);
  return { id: rows[0].id, token };
}

/**
 * Makes `token` (API_TOKEN) the only bootstrap admin token: registers it (again, if it was
 * configured before) and revokes every other bootstrap token. Without a token, none stays valid.
 * Returns how many earlier bootstrap tokens were revoked.
 */
export async function syncBootstrapToken(ds: DataSource, token: string | undefined): Promise<{ revoked: number }> {
  const hash = token ? hashToken(token) : null;
  return ds.transaction(async (em) => {
    if (hash) {
      await em.query(
        `INSERT INTO api_token (name, scope, token_hash, bootstrap) VALUES ('bootstrap (API_TOKEN)', 'admin', $1, true)
         ON CONFLICT (token_hash) DO UPDATE SET revoked_at = NULL WHERE api_token.bootstrap`,
        [hash],
      );
    }
    const revoked: Array<{ n: number }> = await em.query(
      `WITH r AS (UPDATE api_token SET revoked_at = now() WHERE bootstrap AND revoked_at IS NULL AND ($1::text IS NULL OR token_hash <> $1) RETURNING id)
       SELECT count(*)::int AS n FROM r`,
      [hash],
    );
    return { revoked: revoked[0].n };
  });
}

/**
 * Scope of a valid, unrevoked token, or undefined. `last_used_at` is refreshed at most once a
 * minute, so a client polling the API does not turn every read into a row write.
 */
export async function lookupToken(ds: DataSource, token: string): Promise<TokenScope | undefined> {
  const rows: Array<{ scope: TokenScope }> = await ds.query(
    `WITH t AS (SELECT id, scope, last_used_at FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL),
          touched AS (UPDATE api_token a SET last_used_at = now() FROM t
                       WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'))
     SELECT scope FROM t`,
    [hashToken(token)],
  );
  return rows[0]?.scope;
}

/** Name and scope of a valid, unrevoked token (read only: does not touch `last_used_at`). */
export async function describeToken(ds: DataSource, token: string): Promise<{ name: string; scope: TokenScope } | undefined> {
  const rows: Array<{ name: string; scope: TokenScope }> = await ds.query(`SELECT name, scope FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL`, [hashToken(token)]);
  return rows[0];
}
