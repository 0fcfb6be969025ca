// Entry point for the workflow bundle: every workflow the worker serves.
export * from './import-task.workflow';
export * from './ping.workflow';
export * from './deliver-webhook.workflow';
