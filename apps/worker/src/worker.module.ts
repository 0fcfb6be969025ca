import { Module } from '@nestjs/common';
import { ConfigModule } from '@app/config';
import { PersistenceModule } from '@app/persistence';
import { TemporalModule } from '@app/temporal';

/** The worker's application context: configuration, database and Temporal client; no HTTP. */
@Module({ imports: [ConfigModule, PersistenceModule, TemporalModule] })
export class WorkerModule {}
