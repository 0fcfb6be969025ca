/**
 * Runs outlive the code that started them (a run waits up to 72 h for a removal decision, a failed
 * run is resumed days later): every history under test/replay/histories (folders included),
 * recorded from real runs by test/replay/record-histories.ts (`npm run record:histories`), must
 * replay on today's workflow code without non-determinism. The set covers every shape a run can
 * take (test/replay/histories/README.md); how to add one when the workflow changes:
 * docs/operations.md ("Workflow changes and replay").
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { buildWorkflowBundle } from '../support/worker-harness';

const DIR = join(__dirname, 'histories');

function historyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return historyFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

const files = historyFiles(DIR).map((f) => relative(DIR, f)).sort();

/** The shapes of docs/operations.md's list: full, incremental, dry run, removals, waits and their ends, cancel, staging redo, resume, failure. */
const MIN_HISTORIES = 10;

it(`has at least ${MIN_HISTORIES} recorded histories to replay`, () => {
  expect(files.length).toBeGreaterThanOrEqual(MIN_HISTORIES);
});

it('replays every recorded history on the current workflow code', async () => {
  const workflowBundle = await buildWorkflowBundle();
  const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(join(DIR, f), 'utf8'))) }));
  const failures: string[] = [];
  const replayed: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed.push(result.workflowId);
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed.sort()).toEqual(files);
}, 180_000);
