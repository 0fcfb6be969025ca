import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { TemporalModule } from '@app/temporal';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { IdempotencyInterceptor } from './common/idempotency.interceptor';
import { BootstrapService } from './bootstrap.service';
import { HealthController } from './health/health.controller';
import { MetricsService } from './health/metrics.service';
import { ConnectorsModule } from './connectors/connectors.module';
import { TargetStoreModule } from './target-store/target-store.module';
import { TasksModule } from './tasks/tasks.module';
import { RunsModule } from './runs/runs.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The HTTP application: one module per bounded context, wired here. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class ApiConfigModule {},
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
    return {
      module: ApiModule,
      imports: [configModule, PersistenceModule, TemporalModule, ConnectorsModule, TargetStoreModule, TasksModule, RunsModule, WebhooksModule],
      controllers: [HealthController, AuthController],
      providers: [MetricsService, BootstrapService, { provide: APP_GUARD, useClass: AuthGuard }, { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor }],
    };
  }
}
