import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The Content-Security-Policy of every answer (the console's HTML, Swagger UI at /docs, and API
 * JSON, which then cannot run anything if a browser is tricked into rendering it): only this
 * origin's own scripts, no framing. Styles allow 'unsafe-inline' because Mantine (console) and
 * Swagger UI inject <style> elements and style attributes at run time; scripts do not.
 */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
};

/**
 * Security headers on every answer, before any route or static file: the CSP above,
 * `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (for browsers without
 * frame-ancestors), `Referrer-Policy: no-referrer` and helmet's other defaults. Left out on
 * purpose: `upgrade-insecure-requests` (an API served over plain http on a LAN address would lose its
 * own scripts) and HSTS, which belongs to whatever terminates TLS in front of the API.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
}
