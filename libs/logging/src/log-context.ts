import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written inside a unit of work carries (an activity: its Temporal and run ids). */
export type LogFields = Record<string, unknown>;

const storage = new AsyncLocalStorage<LogFields>();

/** Runs `work` with `fields` added to every line logged inside it (including from callbacks it starts). */
export function withLogContext<T>(fields: LogFields, work: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...fields } : fields, work);
}

/** The fields of the enclosing withLogContext, if any (the object itself: callers may add to it). */
export function currentLogContext(): LogFields | undefined {
  return storage.getStore();
}
