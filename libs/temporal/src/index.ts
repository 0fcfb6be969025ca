export * from './constants';
export type * from './contracts';
export * from './temporal-client';
export * from './schedule.service';
export * from './run-launcher';
export * from './temporal.module';
export * from './run-summary';
export * from './webhook-delivery-launcher';
