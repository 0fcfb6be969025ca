import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import { TEMPORAL_CLIENT } from '@app/temporal';
import { createActivities } from '@app/import';
import { createPingActivities } from './ping.activities';

/**
 * Resolves dependencies from Nest DI and binds plain activity functions.
 * The Worker collects activities with Object.entries, so a provider's prototype methods would be missed.
 */
export function buildActivities(app: INestApplicationContext) {
  const config = app.get<AppConfig>(APP_CONFIG);
  const dataSource = app.get(DataSource);
  const temporalClient = app.get<Client>(TEMPORAL_CLIENT);
  const logger = new Logger('activities');
  return {
    ...createActivities({
      dataSource,
      secretBox: app.get(SecretBox),
      config,
      temporalClient,
      logger,
    }),
    ...createPingActivities({ dataSource }),
  };
}
