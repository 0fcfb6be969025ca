import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * What a long statement needs from the activity that runs it: keep it alive while the
 * statement runs, and stop the statement when the activity is cancelled.
 */
export interface StatementWatch {
  whileRunning<T>(work: () => Promise<T>, onCancel: () => void): Promise<T>;
}

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

  /**
   * Runs fn in one transaction; rolls back on any error. With an activity, it heartbeats while
   * the transaction runs and a cancelled activity cancels the statement that is running.
   */
  async transaction<T>(fn: (tx: Sql) => Promise<T>, activity?: StatementWatch): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const work = async () => {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      };
      return activity ? await activity.whileRunning(work, () => this.cancelStatementOf(client)) : await work();
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        // the connection itself is gone: do not hand it to the next caller
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** One statement that may run long: heartbeats while it runs, cancelled with the activity. */
  async longQuery<R extends QueryResultRow = QueryResultRow>(activity: StatementWatch, text: string, params?: unknown[]): Promise<QueryResult<R>> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await activity.whileRunning(() => client.query<R>(text, params), () => this.cancelStatementOf(client));
    } catch (err) {
      if (!isQueryError(err)) broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Asks the server to cancel what the connection runs now (from another connection). */
  private cancelStatementOf(client: PoolClient): void {
    const pid = (client as PoolClient & { processID?: number | null }).processID;
    if (!pid) return;
    this.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  }
}

/** An error the server reported for a statement (the connection is still usable). */
function isQueryError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string';
}
