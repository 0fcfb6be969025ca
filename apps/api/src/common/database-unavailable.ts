/** Socket errors of a PostgreSQL that is down, restarting or out of reach. */
const NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs that mean "the server cannot take this connection right now", not "this statement is
 * wrong": class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up), 53300 (too
 * many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/** What node-postgres says when the server goes away under a connection, or never answers one. */
const PG_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)$/;

/**
 * True when an error (or its cause or TypeORM's driverError) says PostgreSQL could not be reached or
 * dropped the connection: a restart, crash recovery or outage. Such a request can simply be tried
 * again later (503), unlike a failing statement (500).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const queue: unknown[] = [err];
  for (let seen = 0; queue.length && seen < 10; seen++) {
    const e = queue.shift() as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown; errors?: unknown } | null | undefined;
    if (!e || typeof e !== 'object') continue;
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
    if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
    queue.push(e.cause, e.driverError);
    // a connect to "localhost" tries ::1 and 127.0.0.1: Node reports an AggregateError of both
    if (Array.isArray(e.errors)) queue.push(...(e.errors as unknown[]));
  }
  return false;
}
