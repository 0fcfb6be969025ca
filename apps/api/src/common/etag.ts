import { createHash } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ProblemException } from './problem';

/** A strong ETag for version `version` of a resource of `kind` (`"connector-3"`). */
export const versionEtag = (kind: string, version: string | number): string => `"${kind}-${version}"`;

/**
 * A task's ETag: its config version (counted by every update) and whether it is paused (pause and
 * resume change only that), so it moves with every change a client could overwrite and not with
 * what runs write (watermark, cache).
 */
export const taskEtag = (t: { configVersion: number; enabled: boolean }): string => versionEtag('task', `${t.configVersion}${t.enabled ? '' : '-paused'}`);

/** A strong ETag for a resource that has no version counter: a digest of what it shows. */
export function contentEtag(kind: string, view: unknown): string {
  return versionEtag(kind, createHash('sha256').update(JSON.stringify(view)).digest('base64url').slice(0, 22));
}

/**
 * Whether a request's If-Match allows changing the resource now at `etag` (RFC 9110, 13.1.1):
 * no header allows it, `*` allows any existing resource, otherwise one of the listed ETags must
 * match by strong comparison (a weak `W/` one never does).
 */
export function ifMatchAllows(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  if (value === '*') return true;
  return value.split(',').some((tag) => tag.trim() === etag);
}

/** 412 with the resource as it is now and its ETag, for the client to reload and decide again. */
export function preconditionFailed(what: string, current: unknown, etag: string): ProblemException {
  return new ProblemException(
    412,
    `${what} was changed by someone else since you read it (If-Match does not match ${etag}); reload it, reapply your change and send it with the new ETag`,
    undefined,
    undefined,
    { etag, current },
  );
}

/** OpenAPI: the If-Match header of a PATCH, PUT or DELETE. */
export const ApiIfMatch = () =>
  applyDecorators(
    ApiHeader({
      name: 'If-Match',
      required: false,
      description: 'the ETag of the version you read: the change applies only to that version, else 412 with the current one (`current`, `etag`)',
    }),
  );
