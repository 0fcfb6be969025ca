import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { problemDocument, type ProblemDocument } from './problem';
import { isDatabaseUnavailable } from './database-unavailable';
import { isTemporalUnreachable } from './temporal-unreachable';

/** Every error leaves the API as application/problem+json; unexpected ones never show a stack trace. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let doc: ProblemDocument;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'object' && body && 'title' in body && 'status' in body) {
        doc = body as ProblemDocument;
      } else {
        const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
        doc = problemDocument(status, Array.isArray(message) ? message.join('; ') : String(message ?? exception.message));
      }
    } else if (isTemporalUnreachable(exception)) {
      // a Temporal restart or outage: the caller can simply try again; no stack trace for this
      this.logger.warn(`Temporal is unreachable: ${exception instanceof Error ? exception.message : String(exception)}`);
      doc = problemDocument(503, 'Temporal is unreachable right now (restarting or down); try again once it is back (GET /health shows it)');
      res.setHeader('Retry-After', '5');
    } else if (isDatabaseUnavailable(exception)) {
      // PostgreSQL restarting, in crash recovery or down: reads and writes alike can be sent again later
      this.logger.warn(`the database is unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
      doc = problemDocument(503, 'the database is unavailable right now (restarting or down); try again shortly (GET /health shows it)');
      res.setHeader('Retry-After', '5');
    } else {
      this.logger.error(exception instanceof Error ? `${exception.name}: ${exception.message}` : 'unexpected error', exception instanceof Error ? exception.stack : undefined);
      doc = problemDocument(500, 'unexpected error; see the server log');
    }
    sendProblem(res, doc);
  }
}

/** Writes a problem document (also used by the body-parsing middleware, which runs before Nest). */
export function sendProblem(res: Response, doc: ProblemDocument): void {
  res.status(doc.status).type('application/problem+json').send(JSON.stringify(doc));
}
