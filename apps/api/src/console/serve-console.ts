import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { static as serveStatic } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** Paths the API owns; everything else that asks for HTML is the console's (client-side routes). */
const API_PATHS = /^\/(api|docs|docs-json|health|metrics)(\/|$)/;

/**
 * dist/console, where `npm run build` puts the console: next to the compiled API (dist/apps/api/src/console
 * → dist/console) or, when the API runs from source (tests), under the repository's dist/.
 */
export function consoleDirectory(): string | undefined {
  return [resolve(__dirname, '../../../../console'), resolve(__dirname, '../../../../dist/console')].find((dir) => existsSync(join(dir, 'index.html')));
}

/** Serves the operator's console at `/`, same origin as the API; the API keeps /api/v1, /docs, /health and /metrics. */
export function serveConsole(app: NestExpressApplication, dir = consoleDirectory()): void {
  if (!dir) {
    app.use('/', (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' || req.path !== '/') return next();
      res.status(404).type('text/plain').send('The console is not built: run `npm run build` (npm run dev does), then reload.\n');
    });
    return;
  }
  const index = join(dir, 'index.html');
  // file names under assets/ carry a content hash: cache them for good, never the page itself
  app.use('/assets', serveStatic(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API_PATHS.test(req.path) || req.path.startsWith('/assets/')) return next();
    if (!req.accepts('html')) return next();
    // nosniff, the CSP and the other security headers come from securityHeaders(), for every answer
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
