export * from './entities';
export * from './data-source';
export * from './migrate';
export * from './secret-box';
export * from './persistence.module';
export * from './seed';
export * from './connector-config';
export * from './pg-driver';
