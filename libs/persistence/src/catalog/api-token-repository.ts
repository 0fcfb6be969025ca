import type { Sql } from '../db';

export type TokenScope = 'read' | 'admin';

/** One row of table `api_token`. The only token row type; the token itself is never stored, only its hash. */
export interface ApiTokenRow {
  id: string;
  name: string;
  scope: TokenScope;
  tokenHash: string;
  /** registered from API_TOKEN at start-up (only the configured one stays valid) */
  bootstrap: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Columns of `api_token` as pg returns them. */
interface ApiTokenColumns {
  id: string;
  name: string;
  scope: TokenScope;
  token_hash: string;
  bootstrap: boolean;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** The one mapper from the table's columns to ApiTokenRow. */
export function apiTokenRowFrom(c: ApiTokenColumns): ApiTokenRow {
  return {
    id: c.id,
    name: c.name,
    scope: c.scope,
    tokenHash: c.token_hash,
    bootstrap: c.bootstrap,
    createdAt: c.created_at,
    lastUsedAt: c.last_used_at,
    revokedAt: c.revoked_at,
  };
}

/** Table api_token: the API's bearer tokens (only their hashes). */
export class ApiTokenRepository {
  constructor(private readonly db: Sql) {}

  async insert(name: string, scope: TokenScope, tokenHash: string): Promise<ApiTokenRow> {
    const { rows } = await this.db.query<ApiTokenColumns>(`INSERT INTO api_token (name, scope, token_hash) VALUES ($1, $2, $3) RETURNING *`, [name, scope, tokenHash]);
    return apiTokenRowFrom(rows[0]);
  }

  /** Registers the hash as the bootstrap admin token, or makes it valid again if it was one before. */
  async registerBootstrap(tokenHash: string, tx: Sql = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO api_token (name, scope, token_hash, bootstrap) VALUES ('bootstrap (API_TOKEN)', 'admin', $1, true)
       ON CONFLICT (token_hash) DO UPDATE SET revoked_at = NULL WHERE api_token.bootstrap`,
      [tokenHash],
    );
  }

  /** Revokes every valid bootstrap token but `keepHash` (all of them when null); returns how many. */
  async revokeBootstrapsExcept(keepHash: string | null, tx: Sql = this.db): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      `WITH r AS (UPDATE api_token SET revoked_at = now() WHERE bootstrap AND revoked_at IS NULL AND ($1::text IS NULL OR token_hash <> $1) RETURNING id)
       SELECT count(*)::int AS n FROM r`,
      [keepHash],
    );
    return rows[0].n;
  }

  /**
   * Scope of a valid, unrevoked token, or undefined. `last_used_at` is refreshed at most once a
   * minute, so a client polling the API does not turn every read into a row write.
   */
  async useToken(tokenHash: string): Promise<TokenScope | undefined> {
    const { rows } = await this.db.query<{ scope: TokenScope }>(
      `WITH t AS (SELECT id, scope, last_used_at FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL),
            touched AS (UPDATE api_token a SET last_used_at = now() FROM t
                         WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'))
       SELECT scope FROM t`,
      [tokenHash],
    );
    return rows[0]?.scope;
  }

  /** Name and scope of a valid, unrevoked token (read only: does not touch `last_used_at`). */
  async describe(tokenHash: string): Promise<Pick<ApiTokenRow, 'name' | 'scope'> | undefined> {
    const { rows } = await this.db.query<{ name: string; scope: TokenScope }>(`SELECT name, scope FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash]);
    return rows[0];
  }
}
