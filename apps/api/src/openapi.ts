import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import { ApiModule } from './api.module';

/** The OpenAPI document of the API, as served at /docs-json. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('scim-import')
      .setDescription('Durable SCIM 2.0 imports into the identity target store, run on Temporal.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
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
