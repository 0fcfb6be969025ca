import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { connectTemporalClient } from './temporal-client';
import { TaskScheduleService } from './schedule.service';

export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');

@Injectable()
class TemporalClientCloser implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly client: Client) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
  }
}

/** Temporal client and the task schedule service, shared by the API and the worker. */
@Global()
@Module({
  providers: [
    { provide: TEMPORAL_CLIENT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => connectTemporalClient(config) },
    {
      provide: TaskScheduleService,
      inject: [TEMPORAL_CLIENT, APP_CONFIG],
      useFactory: (client: Client, config: AppConfig) => new TaskScheduleService(client, config.taskQueue),
    },
    TemporalClientCloser,
  ],
  exports: [TEMPORAL_CLIENT, TaskScheduleService],
})
export class TemporalModule {}
