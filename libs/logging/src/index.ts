export * from './app-logger';
export * from './log-context';
export * from './redact';
export * from './temporal-runtime-logger';
