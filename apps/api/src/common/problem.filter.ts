import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { problemTitle, type ProblemDocument } from './problem';

function slug(status: number): string {
  return `https://scim-import.dev/problems/${problemTitle(status).toLowerCase().replace(/ /g, '-')}`;
}

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
        doc = { type: slug(status), title: problemTitle(status), status, detail: Array.isArray(message) ? message.join('; ') : String(message ?? exception.message) };
      }
    } else if (isBodyParserError(exception)) {
      const status = exception.status;
      const detail =
        exception.type === 'entity.too.large'
          ? 'request body is too large'
          : exception.type === 'entity.parse.failed'
            ? 'request body is not valid JSON'
            : 'request body could not be read';
      doc = { type: slug(status), title: problemTitle(status), status, detail };
    } else {
      this.logger.error(exception instanceof Error ? `${exception.name}: ${exception.message}` : 'unexpected error', exception instanceof Error ? exception.stack : undefined);
      doc = { type: slug(500), title: problemTitle(500), status: 500, detail: 'unexpected error; see the server log' };
    }
    res.status(doc.status).type('application/problem+json').send(JSON.stringify(doc));
  }
}

function isBodyParserError(e: unknown): e is { status: number; type: string } {
  return typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number' && typeof (e as { type?: unknown }).type === 'string';
}
