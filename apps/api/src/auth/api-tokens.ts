import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiTokenRepository, Db, type TokenScope } from '@app/persistence';

/** SHA-256 of a token; only this is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a new token and returns it in clear; it cannot be shown again (scripts and tests hold an initialised DataSource). */
export async function createApiToken(ds: DataSource, name: string, scope: TokenScope): Promise<{ id: string; token: string }> {
  const token = `sit_${randomBytes(32).toString('base64url')}`;
  const row = await new ApiTokenRepository(Db.fromDataSource(ds)).insert(name, scope, hashToken(token));
  return { id: row.id, token };
}

/**
 * Makes `token` (API_TOKEN) the only bootstrap admin token: registers it (again, if it was
 * configured before) and revokes every other bootstrap token. Without a token, none stays valid.
 * Returns how many earlier bootstrap tokens were revoked.
 */
export async function syncBootstrapToken(db: Db, tokens: ApiTokenRepository, token: string | undefined): Promise<{ revoked: number }> {
  const hash = token ? hashToken(token) : null;
  return db.transaction(async (tx) => {
    if (hash) await tokens.registerBootstrap(hash, tx);
    return { revoked: await tokens.revokeBootstrapsExcept(hash, tx) };
  });
}

/** Scope of a valid, unrevoked token, or undefined (notes when it was last used, at most once a minute). */
export async function lookupToken(tokens: ApiTokenRepository, token: string): Promise<TokenScope | undefined> {
  return tokens.useToken(hashToken(token));
}

/** Name and scope of a valid, unrevoked token (read only: does not touch `last_used_at`). */
export async function describeToken(tokens: ApiTokenRepository, token: string): Promise<{ name: string; scope: TokenScope } | undefined> {
  return tokens.describe(hashToken(token));
}
