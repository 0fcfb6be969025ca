import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiTokenRepository } from '@app/persistence';
import { ProblemException } from '../common/problem';
import { lookupToken } from './api-tokens';

const PUBLIC_KEY = 'scim-import:public';
/** Marks a route as reachable without a token (health, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Bearer tokens: any valid token may read; writing routes need scope admin. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ProblemException(401, 'missing bearer token: send "Authorization: Bearer <token>"');
    const scope = await lookupToken(this.tokens, match[1]);
    if (!scope) throw new ProblemException(401, 'unknown or revoked token');
    if (!READ_METHODS.has(req.method) && scope !== 'admin') {
      throw new ProblemException(403, `a token with scope "${scope}" may not use ${req.method} ${req.path}; scope "admin" is required`);
    }
    return true;
  }
}
