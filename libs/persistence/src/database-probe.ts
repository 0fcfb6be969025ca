import type { Sql } from './db';

/** Whether the database answers (health) and what its clock says (the worker's ping activity). */
export class DatabaseProbe {
  constructor(private readonly db: Sql) {}

  /** Resolves when the database answered a trivial statement. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  /** The database server's current time. */
  async now(): Promise<Date> {
    const { rows } = await this.db.query<{ now: Date }>('SELECT now() AS now');
    return rows[0].now;
  }
}
