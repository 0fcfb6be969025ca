import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class FieldErrorView {
  @ApiProperty({ example: 'identity.attributes[0].local', description: 'dotted path of the offending field' })
  field: string;

  @ApiProperty({ example: 'unknown attribute "mail" of template "account"' })
  message: string;
}

/** RFC 9457 problem document, the body of every error (`application/problem+json`). */
export class ProblemView {
  @ApiProperty({ example: 'https://scim-import.dev/problems/bad-request' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiPropertyOptional({ example: 'request validation failed' })
  detail?: string;

  @ApiPropertyOptional({ type: [FieldErrorView], description: 'every offending field (400, 409, 422)' })
  errors?: FieldErrorView[];
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input; every offending field is listed in `errors`',
  401: 'missing, unknown or revoked bearer token',
  403: 'the token\'s scope ("read") may not use a writing route',
  404: 'not found',
  409: 'conflict with the current state',
  412: 'If-Match does not match: changed by someone else since it was read; the body carries `current` and its `etag`',
  422: 'semantically invalid (SCIM filter, mapping expression, template attribute)',
  502: 'the SCIM source could not be reached',
  503: 'Temporal did not accept the change; nothing was saved',
};

/** Documents error responses as problem documents; a description overrides the default one per status. */
export function ApiProblems(...statuses: Array<number | [number, string]>) {
  return applyDecorators(
    ApiExtraModels(ProblemView, FieldErrorView),
    ...statuses.map((s) => {
      const [status, description] = Array.isArray(s) ? s : [s, PROBLEM_DESCRIPTIONS[s] ?? 'error'];
      return ApiResponse({ status, description, content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemView) } } } });
    }),
  );
}
