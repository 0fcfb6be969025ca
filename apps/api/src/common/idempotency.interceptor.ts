import { createHash } from 'node:crypto';
import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { IdempotentRequestRepository } from '@app/persistence';
import { hashToken } from '../auth/api-tokens';
import { badRequest, conflict, unprocessable } from './problem';

/** The header a client sends to make a POST safe to retry. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** An unanswered key is someone's request at work; after this, its process is taken to have died. */
const LEASE_MS = 5 * 60_000;
/** Expired keys are swept at most this often (by whichever request comes along). */
const SWEEP_EVERY_MS = 60 * 60_000;
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same body spelled in another key order is the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * `Idempotency-Key` on POST (docs/api.md, Safe retries): the first request with a key runs and its
 * answer is kept for 24 h, per API token; a retry with the same key and the same request (path and
 * body) gets that answer again (`Idempotent-Replayed: true`) without doing anything; the same key
 * with another request is a 422. A request that fails is forgotten, so its retry runs again; a
 * retry while the first is still being answered is a 409.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');
  private sweptAt = 0;

  constructor(private readonly requests: IdempotentRequestRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    const key = req.headers[IDEMPOTENCY_HEADER];
    if (req.method !== 'POST' || key === undefined) return next.handle();
    return from(this.once(req, context.switchToHttp().getResponse<Response>(), key, next));
  }

  private async once(req: Request, res: Response, key: string | string[], next: CallHandler): Promise<unknown> {
    if (typeof key !== 'string' || !KEY_SHAPE.test(key)) {
      throw badRequest('invalid Idempotency-Key', [{ field: 'Idempotency-Key', message: 'one key of 1-255 visible ASCII characters' }]);
    }
    // the guard let the request in, so it carries a bearer token; keys are per token
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return lastValueFrom(next.handle(), { defaultValue: undefined });
    const tokenHash = hashToken(token);
    const fingerprint = createHash('sha256').update(`${req.method} ${req.originalUrl}\n${canonical(req.body)}`).digest('hex');
    this.sweepNow();
    const claim = await this.requests.claim(tokenHash, key, fingerprint, LEASE_MS);
    if (claim.state === 'otherRequest') {
      throw unprocessable('this Idempotency-Key was used with another request (path or body); use a new key for a new request', [
        { field: 'Idempotency-Key', message: 'already used with another request' },
      ]);
    }
    if (claim.state === 'inProgress') {
      res.setHeader('Retry-After', '1');
      throw conflict('the first request with this Idempotency-Key is still being answered; retry shortly for its answer');
    }
    if (claim.state === 'replay') {
      res.status(claim.status);
      res.setHeader('Idempotent-Replayed', 'true');
      return claim.response ?? undefined;
    }
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      await this.requests.release(tokenHash, key).catch((e: unknown) => this.logger.warn(`Idempotency-Key not released: ${String(e)}`));
      throw err;
    }
    // the route's status (e.g. 201, 202) is set on the response before the handler runs
    await this.requests.complete(tokenHash, key, res.statusCode, body ?? null);
    return body;
  }

  private sweepNow(): void {
    if (Date.now() - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = Date.now();
    this.requests.sweep().catch((err: unknown) => this.logger.warn(`expired Idempotency-Keys not swept: ${err instanceof Error ? err.message : String(err)}`));
  }
}
