import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** Anything that runs SQL: the pool or a client inside a transaction. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Raw SQL on the DataSource's own pg pool. The import is set-based SQL end to end; going to
 * pg directly gives uniform results (rows + rowCount) that TypeORM's query() reshapes per command.
 */
export class Db implements Sql {
  constructor(private readonly pool: Pool) {}

  /** Uses the pool of an initialised TypeORM PostgreSQL DataSource. */
  static fromDataSource(dataSource: DataSource): Db {
    const driver = dataSource.driver as PostgresDriver;
    return new Db(driver.master as Pool);
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<QueryResult<R>> {
    return this.pool.query<R>(text, params);
  }

  /** Runs fn in one transaction; rolls back on any error. */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
