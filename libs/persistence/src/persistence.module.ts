import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source';
import { SecretBox } from './secret-box';

/** TypeORM data source (migrations only, never synchronize) and the connector SecretBox. */
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
  providers: [{ provide: SecretBox, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SecretBox(config.secretKey) }],
  exports: [SecretBox],
})
export class PersistenceModule {}
