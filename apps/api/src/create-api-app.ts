import 'reflect-metadata';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import { createAppLogger } from '@app/logging';
import { ApiModule } from './api.module';
import { ProblemFilter, sendProblem } from './common/problem.filter';
import { problemDocument } from './common/problem';
import { createValidationPipe } from './common/validation';
import { checkJsonBody } from './common/json-body-guard';
import { openApiDocument } from './openapi';
import { serveConsole } from './console/serve-console';
import { securityHeaders } from './common/security-headers';

const BODY_LIMIT = '1mb';

function problem(res: Response, status: number, detail: string): void {
  sendProblem(res, problemDocument(status, detail));
}

/** Builds the HTTP app exactly as production runs it (tests use the same factory). */
export async function createApiApp(config: AppConfig, opts: { logger?: false | LoggerService } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    logger: opts.logger === undefined ? createAppLogger(config) : opts.logger,
  });
  app.disable('x-powered-by');
  // first, so that every answer carries them: console, assets, /docs, API JSON and early refusals
  app.use(securityHeaders());
  serveConsole(app);
  // writing requests must carry JSON; anything else is refused before parsing
  app.use((req: Request, res: Response, next: NextFunction) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
      return problem(res, 415, 'request body must be JSON (Content-Type: application/json)');
    }
    next();
  });
  app.use(json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }));
  app.use((err: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err?.type === 'entity.too.large') return problem(res, 413, `request body exceeds ${BODY_LIMIT}`);
    if (err?.type === 'entity.parse.failed') return problem(res, 400, 'request body is not valid JSON');
    if (err?.type) return problem(res, err.status ?? 400, 'request body could not be read');
    next(err);
  });
  // depth, size and control characters are refused before validation walks the body recursively
  app.use((req: Request, res: Response, next: NextFunction) => {
    const problemField = req.body !== undefined ? checkJsonBody(req.body) : undefined;
    if (problemField) return sendProblem(res, problemDocument(400, `request validation failed: ${problemField.field}: ${problemField.message}`, [problemField]));
    next();
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
