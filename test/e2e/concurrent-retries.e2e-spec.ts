/**
 * Concurrent retries of one failed run, through the REST API: restart (and resume) insert the run
 * row and start (or reset) the workflow under the one-running-run-per-task index, so of five
 * concurrent requests exactly one is accepted, the others answer 409, and Temporal holds no
 * workflow without a run row. The worker runs only while the failed runs are made: the accepted
 * retry's workflow then stays running (queued), so every other request meets a running run.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { ApiHarness } from '../support/api-harness';
import { startStack, type Stack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { runApi, scimServerPool, type RunApi, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const CONCURRENT = 5;

let stack: Stack;
let api: ApiHarness;
let rest: RunApi;
let client: Client;
const scimServers = scimServerPool(USER, PASSWORD);
/** Two tasks, each with one run that failed on rejected credentials. */
const failed: Record<'restart' | 'resume', { taskId: string; run: RunBody }> = {} as never;

beforeAll(async () => {
  stack = await startStack({ taskQueue: uniq('e2e-concurrent-retries'), api: true, worker: true });
  ({ api, client } = stack);
  rest = runApi(api);
  const scim = await scimServers.start({ users: 3, groups: 1, membersPerUser: 1 });
  const codes = await rest.targetStore('cr');
  try {
    for (const strategy of ['restart', 'resume'] as const) {
      const connectorId = await rest.connector(scim, USER, `wrong-${randomUUID()}`);
      const taskId = await rest.task(connectorId, codes);
      const run = await rest.runToEnd(taskId);
      expect(run).toMatchObject({ status: 'failed', error: { type: 'ScimAuthError' } });
      await eventually(async () => (await client.workflow.getHandle(run.workflowId).describe()).status.name === 'FAILED', 20_000, 100);
      failed[strategy] = { taskId, run };
    }
  } finally {
    await stack.worker.stop();
  }
}, 180_000);

afterAll(async () => {
  // the accepted retries never ran (no worker): end their workflows
  for (const { taskId } of Object.values(failed)) {
    for await (const wf of client.workflow.list({ query: `ImportTaskId="${taskId}" AND ExecutionStatus="Running"` })) {
      await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test cleanup').catch(() => undefined);
    }
  }
  await stack?.stop();
  await scimServers.closeAll();
});

/** The task's workflow executions as Temporal's visibility lists them, once the listing stops changing. */
async function settledExecutions(taskId: string, mustInclude: string): Promise<Array<{ workflowId: string; runId: string }>> {
  const list = async () => {
    const out: Array<{ workflowId: string; runId: string }> = [];
    for await (const wf of client.workflow.list({ query: `ImportTaskId="${taskId}"` })) out.push({ workflowId: wf.workflowId, runId: wf.runId });
    return out.sort((a, b) => (a.runId < b.runId ? -1 : 1));
  };
  let previous = '';
  let stable = 0;
  // visibility is eventually consistent: the newest execution must show and five listings in a row must agree
  return eventually(async () => {
    const now = await list();
    const key = JSON.stringify(now);
    stable = key === previous ? stable + 1 : 0;
    previous = key;
    return stable >= 4 && now.some((e) => e.runId === mustInclude) ? now : undefined;
  }, 30_000, 300);
}

async function runRows(taskId: string): Promise<Array<{ id: string; workflow_id: string; temporal_run_id: string | null; status: string }>> {
  return api.ds.query(`SELECT id, workflow_id, temporal_run_id, status FROM run WHERE task_id = $1 ORDER BY started_at`, [taskId]);
}

async function retryConcurrently(runId: string, strategy: 'restart' | 'resume') {
  const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => rest.post(`/api/v1/runs/${runId}/retry`, { strategy })));
  return {
    accepted: answers.filter((a) => a.status === 202).map((a) => a.body as RunBody),
    statuses: answers.map((a) => a.status).sort(),
    conflicts: answers.filter((a) => a.status === 409),
  };
}

describe('concurrent retries of one failed run', () => {
  it(`${CONCURRENT} concurrent restarts: one 202, the rest 409; one new workflow, one new run row, no orphan`, async () => {
    const { taskId, run } = failed.restart;
    const { accepted, statuses, conflicts } = await retryConcurrently(run.id, 'restart');
    expect(statuses).toEqual([202, ...Array<number>(CONCURRENT - 1).fill(409)]);
    for (const c of conflicts) {
      expect(c.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(c.body.detail).toMatch(/already in progress|running/);
    }
    const [restarted] = accepted;
    expect(restarted).toMatchObject({ status: 'running', trigger: 'retry', retryOf: run.id });
    expect(restarted.temporalRunId).toBeTruthy();

    const rows = await runRows(taskId);
    expect(rows.map((r) => r.id).sort()).toEqual([run.id, restarted.id].sort());
    const executions = await settledExecutions(taskId, restarted.temporalRunId as string);
    // every execution Temporal knows for this task is a run row's: the failed run and the one restart
    expect(executions.map((e) => e.runId).sort()).toEqual(rows.map((r) => r.temporal_run_id).sort());
    expect(executions.find((e) => e.runId === restarted.temporalRunId)?.workflowId).toBe(restarted.workflowId);
    expect((await client.workflow.getHandle(restarted.workflowId).describe()).status.name).toBe('RUNNING');
    expect((await rest.run(run.id)).status).toBe('failed');
  });

  it(`${CONCURRENT} concurrent resumes: one 202, the rest 409; one reset execution, one new run row`, async () => {
    const { taskId, run } = failed.resume;
    const { accepted, statuses } = await retryConcurrently(run.id, 'resume');
    expect(statuses).toEqual([202, ...Array<number>(CONCURRENT - 1).fill(409)]);
    const [resumed] = accepted;
    expect(resumed).toMatchObject({ status: 'running', trigger: 'retry', retryOf: run.id, workflowId: run.workflowId });

    const rows = await runRows(taskId);
    expect(rows.map((r) => r.id).sort()).toEqual([run.id, resumed.id].sort());
    const resumedRow = rows.find((r) => r.id === resumed.id);
    expect(resumedRow?.temporal_run_id).toBeTruthy();
    // a resume is a reset of the same workflow: the failed execution and one new execution, nothing else
    const executions = await settledExecutions(taskId, resumedRow?.temporal_run_id as string);
    expect(executions.map((e) => e.runId).sort()).toEqual(rows.map((r) => r.temporal_run_id).sort());
    expect(new Set(executions.map((e) => e.workflowId))).toEqual(new Set([run.workflowId]));
  });
});
