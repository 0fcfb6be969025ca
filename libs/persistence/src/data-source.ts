import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { pgDriverWithErrorHandling, type PgErrorReporter } from './pg-driver';

export interface DataSourceExtra {
  poolSize?: number;
  /** told about connections the server dropped while no query waited on them (restart, crash) */
  onConnectionError?: PgErrorReporter;
}

/** TypeORM options for PostgreSQL; schema changes only ever come from migrations. */
export function dataSourceOptions(databaseUrl: string, extra?: DataSourceExtra): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    // a dropped connection must fail the query that uses it, never the process
    driver: pgDriverWithErrorHandling(extra?.onConnectionError),
    // no entities: the repositories write the SQL and map the rows (one row type per table)
    entities: [],
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
export function createDataSource(databaseUrl: string, extra?: DataSourceExtra): DataSource {
  return new DataSource(dataSourceOptions(databaseUrl, extra));
}
