import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import { TEMPORAL_CLIENT } from '@app/temporal';
import { createActivities, createActivityTelemetry, type ImportMetrics } from '@app/import';
import type { AppLogger } from '@app/logging';
import { createPingActivities } from './ping.activities';

/**
 * Resolves dependencies from Nest DI and binds plain activity functions, plus the activity
 * interceptor that puts run ids on log lines and records import metrics.
 * The Worker collects activities with Object.entries, so a provider's prototype methods would be missed.
 */
export function buildActivities(app: INestApplicationContext, opts: { logger: AppLogger; metrics?: ImportMetrics }) {
  const config = app.get<AppConfig>(APP_CONFIG);
  const dataSource = app.get(DataSource);
  const temporalClient = app.get<Client>(TEMPORAL_CLIENT);
  const logger = opts.logger.forContext('activities');
  const telemetry = createActivityTelemetry({ dataSource, logger, metrics: opts.metrics });
  return {
    activities: {
      ...createActivities({
        dataSource,
        secretBox: app.get(SecretBox),
        config,
        temporalClient,
        logger,
        scimMetrics: telemetry.scimMetrics,
      }),
      ...createPingActivities({ dataSource }),
    },
    interceptors: telemetry.interceptors,
  };
}
