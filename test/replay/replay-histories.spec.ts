/**
 * Runs outlive the code that started them (a run waits up to 72 h for a removal decision, a failed
 * run is resumed days later): every history in test/replay/histories, recorded from real runs with
 * scripts/record-run-history.ts, must replay on today's workflow code without non-determinism.
 * How to add one when the workflow changes: docs/operations.md ("Workflow changes and replay").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { buildWorkflowBundle } from '../support/worker-harness';

const DIR = join(__dirname, 'histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

it('replays every recorded history on the current workflow code', async () => {
  const workflowBundle = await buildWorkflowBundle();
  const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8'))) }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(files.length);
});
