import type { ResourceKind } from '@app/temporal/contracts';

/** One batch of load: the staged rows of a kind in the key range (after, last], in source-id order. */
export interface LoadWindow {
  runId: string;
  kind: ResourceKind;
  /** the batch starts after this source id ('' for the first batch) */
  after: string;
  /** the last source id of the batch */
  last: string;
}

/**
 * Rows of the batch: a key range of staging's primary key, (after, last] in source-id order,
 * narrowed to the rows the batch selected ($1 run, $2 resource, $3 after, $4 last; see
 * windowParams). A range is an index bound; an `= ANY(array)` of the batch's ids let the planner
 * loop over the array per probe.
 */
export const IN_WINDOW = `s.run_id = $1 AND s.resource = $2 AND s.source_id > $3 AND s.source_id <= $4`;

/**
 * The rows load writes: created or updated. Exactly the predicate of the partial index
 * staging_record_to_load, so a run that changed 1% walks 1% of its staging. Unchanged records
 * never get here: extract (or diff) marked them loaded, there is nothing to write. What load
 * already wrote is recorded per batch, as key ranges (LoadBatchRepository), not per row: a
 * retried load starts its windows after them.
 */
export const TO_LOAD = `s.decision IN ('create','update') AND NOT s.loaded`;

/** $1..$4 of IN_WINDOW. */
export function windowParams(w: LoadWindow): unknown[] {
  return [w.runId, w.kind, w.after, w.last];
}
