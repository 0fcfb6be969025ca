import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import { ApiModule } from './api.module';

/** The OpenAPI document of the API, as served at /docs-json. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return withIdempotencyKeys(SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('scim-import')
      .setDescription('Durable SCIM 2.0 imports into the identity target store, run on Temporal.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  ));
}

/** Every POST takes an optional Idempotency-Key (apps/api/src/common/idempotency.interceptor.ts). */
function withIdempotencyKeys(doc: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(doc.paths)) {
    const post = item.post;
    if (!post) continue;
    post.parameters = [
      ...(post.parameters ?? []),
      {
        in: 'header',
        name: 'Idempotency-Key',
        required: false,
        schema: { type: 'string', minLength: 1, maxLength: 255 },
        description:
          'Makes the request safe to retry: the first answer to a key is kept for 24 h per API token; the same key with the same ' +
          'request returns it again (header `Idempotent-Replayed: true`) without doing anything; the same key with another ' +
          'path or body is a 422; while the first is still being answered, a 409 with Retry-After.',
      },
    ];
    const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemView' } } };
    const replies = post.responses as Record<string, { description: string; content?: unknown }>;
    replies['422'] = replies['422']
      ? { ...replies['422'], description: `${replies['422'].description}; or the Idempotency-Key was used with another request` }
      : { description: 'the Idempotency-Key was used with another request', content: problem };
  }
  return doc;
}

/**
 * The same document without a database or Temporal: Nest's preview mode wires the modules but
 * instantiates no provider, so nothing connects. Used by `npm run openapi` and its drift test.
 */
export async function openApiDocumentOffline(): Promise<OpenAPIObject> {
  const config = { apiPort: 0, temporalUiUrl: 'http://localhost:8233', temporalNamespace: 'default' } as AppConfig;
  const app = await NestFactory.create(ApiModule.forRoot(config), { preview: true, logger: false, abortOnError: false });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}
