import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Db } from '@app/persistence';
import { connectTemporalClient } from './temporal-client';
import { TaskScheduleService } from './schedule.service';
import { RunLauncher } from './run-launcher';

export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');

@Injectable()
class TemporalClientCloser implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly client: Client) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
  }
}

/** Temporal client, the task schedule service and the run launcher, shared by the API and the worker. */
@Global()
@Module({
  providers: [
    { provide: TEMPORAL_CLIENT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => connectTemporalClient(config) },
    {
      provide: TaskScheduleService,
      inject: [TEMPORAL_CLIENT, APP_CONFIG],
      useFactory: (client: Client, config: AppConfig) => new TaskScheduleService(client, config.taskQueue),
    },
    {
      provide: RunLauncher,
      inject: [TEMPORAL_CLIENT, APP_CONFIG, Db],
      useFactory: (client: Client, config: AppConfig, db: Db) => new RunLauncher(client, db, { taskQueue: config.taskQueue, namespace: config.temporalNamespace }),
    },
    TemporalClientCloser,
  ],
  exports: [TEMPORAL_CLIENT, TaskScheduleService, RunLauncher],
})
export class TemporalModule {}
