import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { ENTITIES } from './entities';

/** TypeORM options for PostgreSQL; schema changes only ever come from migrations. */
export function dataSourceOptions(databaseUrl: string, extra?: { poolSize?: number }): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    // failed queries would be logged with their parameters (records, ciphertexts): callers report errors instead
    logging: false,
    extra: { max: extra?.poolSize ?? 10 },
  };
}

/** Creates (not initialises) a DataSource for the given database URL. */
export function createDataSource(databaseUrl: string, extra?: { poolSize?: number }): DataSource {
  return new DataSource(dataSourceOptions(databaseUrl, extra));
}
