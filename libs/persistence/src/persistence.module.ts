import { Global, Logger, Module, type Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source';
import { Db } from './db';
import { SecretBox } from './secret-box';
import { DatabaseProbe } from './database-probe';
import { ApiTokenRepository } from './catalog/api-token-repository';
import { ConnectorRepository } from './catalog/connector-repository';
import { ImportTaskRepository } from './catalog/import-task-repository';
import { RemovalCandidateRepository } from './removals/removal-candidate-repository';
import { IdempotentRequestRepository } from './requests/idempotent-request-repository';
import { RunRepository } from './runs/run-repository';
import { SightingRepository } from './sightings/sighting-repository';
import { TargetStoreRepository } from './target-store/target-store-repository';
import { WebhookAttemptRepository } from './webhooks/webhook-attempt-repository';
import { WebhookDeliveryRepository } from './webhooks/webhook-delivery-repository';
import { WebhookSubscriptionRepository } from './webhooks/webhook-subscription-repository';

/** The repositories the applications ask for, each over the DataSource's pg pool. */
const REPOSITORIES: Array<new (db: Db) => object> = [
  ApiTokenRepository,
  ConnectorRepository,
  ImportTaskRepository,
  TargetStoreRepository,
  RunRepository,
  RemovalCandidateRepository,
  SightingRepository,
  IdempotentRequestRepository,
  WebhookSubscriptionRepository,
  WebhookDeliveryRepository,
  WebhookAttemptRepository,
  DatabaseProbe,
];

const providers: Provider[] = [
  { provide: SecretBox, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SecretBox(config.secretKey) },
  // the initialised DataSource's pool: TypeORM runs the migrations, the repositories run the SQL
  { provide: Db, inject: [DataSource], useFactory: (ds: DataSource) => Db.fromDataSource(ds) },
  ...REPOSITORIES.map((repository): Provider => ({ provide: repository, inject: [Db], useFactory: (db: Db) => new repository(db) })),
];

/** TypeORM data source (migrations only, never synchronize), the Db over its pool, the repositories and the connector SecretBox. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('database');
        return {
          ...dataSourceOptions(config.databaseUrl, { poolSize: 20, onConnectionError: (message) => logger.warn(message) }),
          retryAttempts: 3,
          retryDelay: 1000,
        };
      },
    }),
  ],
  providers,
  exports: [SecretBox, Db, ...REPOSITORIES],
})
export class PersistenceModule {}
