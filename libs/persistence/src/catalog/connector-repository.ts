import type { Sql } from '../db';

export type ConnectorAuthType = 'basic' | 'bearer' | 'oauth2';

/** The identifiers of a connector's authentication; its secret is sealed apart (`secretCiphertext`). */
export interface ConnectorAuthPublic {
  username?: string;
  clientId?: string;
  tokenUrl?: string;
  scope?: string;
}

export interface ConnectorTls {
  caPem?: string;
  rejectUnauthorized?: boolean;
}

/** One row of table `connector`. The only connector row type. */
export interface ConnectorRow {
  id: string;
  name: string;
  baseUrl: string;
  authType: ConnectorAuthType;
  authPublic: ConnectorAuthPublic;
  /** the secrets (password, token or client secret) sealed by SecretBox; never shown, never logged */
  secretCiphertext: string;
  pageSize: number;
  timeoutMs: number;
  rateLimitPerSecond: number | null;
  /** largest SCIM answer (one page) read, in bytes; null = the client's default */
  maxResponseBytes: number | null;
  /** list with `attributes=` naming only what a task maps (false: whole records) */
  attributeProjection: boolean;
  tls: ConnectorTls | null;
  createdAt: Date;
  updatedAt: Date;
  /** counted by every update: the connector's ETag */
  version: number;
}

/** What a connector is made of; the database sets id, the timestamps and the version. */
export type ConnectorFields = Omit<ConnectorRow, 'id' | 'createdAt' | 'updatedAt' | 'version'>;

/** Columns of `connector` as pg returns them. */
interface ConnectorColumns {
  id: string;
  name: string;
  base_url: string;
  auth_type: ConnectorAuthType;
  auth_public: ConnectorAuthPublic | null;
  secret_ciphertext: string;
  page_size: number;
  timeout_ms: number;
  rate_limit_per_second: number | null;
  max_response_bytes: number | null;
  attribute_projection: boolean;
  tls: ConnectorTls | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/** The one mapper from the table's columns to ConnectorRow. */
export function connectorRowFrom(c: ConnectorColumns): ConnectorRow {
  return {
    id: c.id,
    name: c.name,
    baseUrl: c.base_url,
    authType: c.auth_type,
    authPublic: c.auth_public ?? {},
    secretCiphertext: c.secret_ciphertext,
    pageSize: c.page_size,
    timeoutMs: c.timeout_ms,
    rateLimitPerSecond: c.rate_limit_per_second,
    maxResponseBytes: c.max_response_bytes,
    attributeProjection: c.attribute_projection,
    tls: c.tls,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    version: c.version,
  };
}

const COLUMN: Record<keyof ConnectorFields, string> = {
  name: 'name',
  baseUrl: 'base_url',
  authType: 'auth_type',
  authPublic: 'auth_public',
  secretCiphertext: 'secret_ciphertext',
  pageSize: 'page_size',
  timeoutMs: 'timeout_ms',
  rateLimitPerSecond: 'rate_limit_per_second',
  maxResponseBytes: 'max_response_bytes',
  attributeProjection: 'attribute_projection',
  tls: 'tls',
};

/** jsonb columns are sent as JSON text (pg would send a JS array as a PostgreSQL array). */
function parameter(field: keyof ConnectorFields, value: unknown): unknown {
  return (field === 'authPublic' || field === 'tls') && value !== null ? JSON.stringify(value) : value;
}

/** Table connector: the SCIM sources, their public settings and their sealed secrets. */
export class ConnectorRepository {
  constructor(private readonly db: Sql) {}

  async list(): Promise<ConnectorRow[]> {
    const { rows } = await this.db.query<ConnectorColumns>(`SELECT * FROM connector ORDER BY created_at, id`);
    return rows.map(connectorRowFrom);
  }

  async get(id: string): Promise<ConnectorRow | null> {
    const { rows } = await this.db.query<ConnectorColumns>(`SELECT * FROM connector WHERE id = $1`, [id]);
    return rows[0] ? connectorRowFrom(rows[0]) : null;
  }

  async exists(id: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM connector WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /** The connector's SCIM page size; null when there is no such connector. */
  async pageSize(id: string): Promise<number | null> {
    const { rows } = await this.db.query<{ page_size: number }>(`SELECT page_size FROM connector WHERE id = $1`, [id]);
    return rows[0]?.page_size ?? null;
  }

  /** Inserts a connector; a taken name fails with a unique violation (isUniqueViolation). */
  async insert(fields: ConnectorFields): Promise<ConnectorRow> {
    const names = Object.keys(COLUMN) as Array<keyof ConnectorFields>;
    const { rows } = await this.db.query<ConnectorColumns>(
      `INSERT INTO connector (${names.map((f) => COLUMN[f]).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
      names.map((f) => parameter(f, fields[f])),
    );
    return connectorRowFrom(rows[0]);
  }

  /**
   * Writes the given fields (and only those; `updated_at` and the version move only when one is
   * given), only while the connector is at `expectedVersion` when one is given. Null when the
   * connector does not exist or is at another version; a taken name fails with a unique violation
   * (isUniqueViolation).
   */
  async update(id: string, changes: Partial<ConnectorFields>, expectedVersion?: number): Promise<ConnectorRow | null> {
    const fields = (Object.keys(changes) as Array<keyof ConnectorFields>).filter((f) => changes[f] !== undefined);
    if (fields.length === 0) {
      const row = await this.get(id);
      return row && (expectedVersion === undefined || row.version === expectedVersion) ? row : null;
    }
    const { rows } = await this.db.query<ConnectorColumns>(
      `UPDATE connector SET ${fields.map((f, i) => `${COLUMN[f]} = $${i + 3}`).join(', ')}, updated_at = now(), version = version + 1
        WHERE id = $1 AND ($2::int IS NULL OR version = $2) RETURNING *`,
      [id, expectedVersion ?? null, ...fields.map((f) => parameter(f, changes[f]))],
    );
    return rows[0] ? connectorRowFrom(rows[0]) : null;
  }

  /** Deletes the connector (only at `expectedVersion` when one is given); whether a row went. */
  async delete(id: string, expectedVersion?: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM connector WHERE id = $1 AND ($2::int IS NULL OR version = $2)`, [id, expectedVersion ?? null]);
    return (rowCount ?? 0) > 0;
  }
}
