import type { Sql } from '../db';

export type ImportTaskType = 'full' | 'incremental';

/** When a task runs by itself: a cron expression (in a time zone) or a fixed interval; null = manual runs only. */
export interface ImportTaskSchedule {
  cron?: string;
  timezone?: string;
  everyMinutes?: number;
}

/** One row of table `import_task`. The only task row type. */
export interface ImportTaskRow {
  id: string;
  name: string;
  connectorId: string;
  usage: string;
  type: ImportTaskType;
  mappingsType: string;
  schedule: ImportTaskSchedule | null;
  enabled: boolean;
  /** filters, failure, identity, access, generic, cache, safety: as in the API's Task */
  config: Record<string, unknown>;
  /** incremented by every update */
  configVersion: number;
  /** incremental runs read changes since this */
  watermark: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a task is made of; the database sets id, version, watermark and timestamps. */
export type ImportTaskFields = Pick<ImportTaskRow, 'name' | 'connectorId' | 'usage' | 'type' | 'mappingsType' | 'schedule' | 'enabled' | 'config'>;

/** The parts of every task that schedule advice compares. */
export type ImportTaskScheduleSummary = Pick<ImportTaskRow, 'id' | 'name' | 'schedule' | 'enabled'>;

/** Columns of `import_task` as pg returns them. */
interface ImportTaskColumns {
  id: string;
  name: string;
  connector_id: string;
  usage: string;
  type: ImportTaskType;
  mappings_type: string;
  schedule: ImportTaskSchedule | null;
  enabled: boolean;
  config: Record<string, unknown>;
  config_version: number;
  watermark: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The one mapper from the table's columns to ImportTaskRow. */
export function importTaskRowFrom(c: ImportTaskColumns): ImportTaskRow {
  return {
    id: c.id,
    name: c.name,
    connectorId: c.connector_id,
    usage: c.usage,
    type: c.type,
    mappingsType: c.mappings_type,
    schedule: c.schedule,
    enabled: c.enabled,
    config: c.config,
    configVersion: c.config_version,
    watermark: c.watermark,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

/** Table import_task: the tasks, their configuration and their watermark. */
export class ImportTaskRepository {
  constructor(private readonly db: Sql) {}

  async list(): Promise<ImportTaskRow[]> {
    const { rows } = await this.db.query<ImportTaskColumns>(`SELECT * FROM import_task ORDER BY created_at, id`);
    return rows.map(importTaskRowFrom);
  }

  async get(id: string, tx: Sql = this.db): Promise<ImportTaskRow | null> {
    const { rows } = await tx.query<ImportTaskColumns>(`SELECT * FROM import_task WHERE id = $1`, [id]);
    return rows[0] ? importTaskRowFrom(rows[0]) : null;
  }

  /** The task, locked until the end of the caller's transaction (null when there is none). */
  async lock(id: string, tx: Sql): Promise<ImportTaskRow | null> {
    const { rows } = await tx.query<ImportTaskColumns>(`SELECT * FROM import_task WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? importTaskRowFrom(rows[0]) : null;
  }

  async scheduleSummaries(): Promise<ImportTaskScheduleSummary[]> {
    const { rows } = await this.db.query<ImportTaskScheduleSummary>(`SELECT id, name, schedule, enabled FROM import_task`);
    return rows;
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM import_task`);
    return Number(rows[0]?.n ?? 0);
  }

  /** Names of (at most `limit`) tasks that read from the connector, in name order. */
  async namesUsingConnector(connectorId: string, limit = 20): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(`SELECT name FROM import_task WHERE connector_id = $1 ORDER BY name LIMIT $2`, [connectorId, limit]);
    return rows.map((r) => r.name);
  }

  /** Inserts a task; a taken name fails with a unique violation (isUniqueViolation). */
  async insert(fields: ImportTaskFields, tx: Sql = this.db): Promise<ImportTaskRow> {
    const { rows } = await tx.query<ImportTaskColumns>(
      `INSERT INTO import_task (name, connector_id, usage, type, mappings_type, schedule, enabled, config)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [fields.name, fields.connectorId, fields.usage, fields.type, fields.mappingsType, fields.schedule ? JSON.stringify(fields.schedule) : null, fields.enabled, JSON.stringify(fields.config)],
    );
    return importTaskRowFrom(rows[0]);
  }

  /** Replaces the task's definition (its name stays) and counts a new config version. */
  async update(id: string, fields: Omit<ImportTaskFields, 'name'>, tx: Sql = this.db): Promise<ImportTaskRow | null> {
    const { rows } = await tx.query<ImportTaskColumns>(
      `UPDATE import_task SET connector_id = $2, usage = $3, type = $4, mappings_type = $5, schedule = $6, enabled = $7, config = $8,
         config_version = config_version + 1, updated_at = now() WHERE id = $1 RETURNING *`,
      [id, fields.connectorId, fields.usage, fields.type, fields.mappingsType, fields.schedule ? JSON.stringify(fields.schedule) : null, fields.enabled, JSON.stringify(fields.config)],
    );
    return rows[0] ? importTaskRowFrom(rows[0]) : null;
  }

  async setEnabled(id: string, enabled: boolean, tx: Sql = this.db): Promise<void> {
    await tx.query(`UPDATE import_task SET enabled = $2, updated_at = now() WHERE id = $1`, [id, enabled]);
  }

  async delete(id: string, tx: Sql = this.db): Promise<void> {
    await tx.query(`DELETE FROM import_task WHERE id = $1`, [id]);
  }

  /** Moves the task's watermark to `to`, only ever forward (in the transaction that declares a run succeeded). */
  async moveWatermark(id: string, to: Date, tx: Sql = this.db): Promise<void> {
    await tx.query(`UPDATE import_task SET watermark = $2 WHERE id = $1 AND (watermark IS NULL OR watermark < $2)`, [id, to]);
  }
}
