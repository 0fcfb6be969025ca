import type { INestApplication, LoggerService } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../../libs/config/src/config';
import { createApiApp } from '../../apps/api/src/create-api-app';
import { createApiToken } from '../../apps/api/src/auth/api-tokens';
import { seedDefaultTargetStore } from '../../libs/persistence/src/seed';

export interface ApiHarness {
  app: INestApplication;
  config: AppConfig;
  ds: DataSource;
  adminToken: string;
  readToken: string;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/** Boots the real API (same factory as production) on the test database and Temporal. */
export async function startApi(overrides: Partial<AppConfig> = {}, logger: false | LoggerService = false): Promise<ApiHarness> {
  const config = { ...loadConfig(), apiPort: 0, ...overrides };
  const app = await createApiApp(config, { logger });
  await app.init();
  const ds = app.get(DataSource);
  await seedDefaultTargetStore(ds);
  const suffix = Math.random().toString(36).slice(2, 8);
  const adminToken = (await createApiToken(ds, `test-admin-${suffix}`, 'admin')).token;
  const readToken = (await createApiToken(ds, `test-read-${suffix}`, 'read')).token;
  return {
    app,
    config,
    ds,
    adminToken,
    readToken,
    http: () => request(app.getHttpServer()),
    close: () => app.close(),
  };
}
