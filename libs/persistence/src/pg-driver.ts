import pg from 'pg';

/** Where connection errors that no query is waiting for are reported (never with parameters). */
export type PgErrorReporter = (message: string) => void;

/**
 * The `pg` module as TypeORM's driver, with a Pool that gives every connection it opens an
 * `error` listener. pg-pool listens only on idle connections: a connection checked out for a
 * transaction (ours, or a TypeORM QueryRunner's) that the server drops between two statements
 * (restart, crash recovery, pg_terminate_backend) emits `error` with no listener, and Node ends
 * the process on an unhandled 'error' event. With the listener the error only reaches whoever
 * uses the connection next (its query fails, a retryable activity failure), and the pool drops
 * the broken connection when it is released.
 */
export function pgDriverWithErrorHandling(report: PgErrorReporter = () => undefined): typeof pg {
  class Pool extends pg.Pool {
    constructor(config?: pg.PoolConfig) {
      super(config);
      this.on('connect', (client: pg.PoolClient) => {
        client.on('error', (err: Error) => report(`PostgreSQL connection lost: ${err.message}`));
      });
      // pg-pool re-emits an idle connection's error on the pool: already reported above
      this.on('error', () => undefined);
    }
  }
  return { ...pg, Pool };
}
