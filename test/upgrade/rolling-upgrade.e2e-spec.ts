/**
 * A rolling upgrade with runs in flight (docs/operations.md, "Upgrading"), through the REST API
 * with real PostgreSQL, Temporal and SCIM servers. Version N is today's workflow code; version N+1
 * is a build whose workflow really differs: an added step (`upgradeProbe`, before finish) behind
 * `patched()`. A run started by N waits for a removal decision, N+1 is deployed and N stopped,
 * the decision is sent and the run finishes on N+1; a run that failed on N is resumed (reset)
 * after the upgrade. Once with unversioned workers (a plain rolling restart) and once with
 * Worker Versioning (deployment versions, the current one switched, and back for a rollback).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ApiHarness } from '../support/api-harness';
import { startStack, type Stack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { buildWorkflowBundle, type RunningWorker, type TestWorkerOptions } from '../support/worker-harness';
import { noFaults, withFaults } from '../support/activity-faults';
import { runApi, scimServerPool, sorted, type RunApi } from '../e2e/support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const ROOT = resolve(__dirname, '../..');
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

let stack: Stack;
let api: ApiHarness;
let rest: RunApi;
let client: Client;
let bundleN: WorkflowBundleWithSourceMap;
let bundleN1: WorkflowBundleWithSourceMap;
let variantDir: string;
const scimServers = scimServerPool(USER, PASSWORD);

/** Runs that version N+1's added step saw, and load outages version N's worker is to throw. */
const probe: string[] = [];
const faults = noFaults();

/**
 * Version N+1: today's workflow with one more step before finish, behind a patch as the
 * discipline requires (a run that replays history from before the step skips it).
 */
async function buildNextVersion(): Promise<WorkflowBundleWithSourceMap> {
  variantDir = join(ROOT, '.data', uniq('upgrade-variant'));
  mkdirSync(join(variantDir, 'workflows'), { recursive: true });
  const source = readFileSync(join(ROOT, 'workflows/import-task.workflow.ts'), 'utf8');
  const finish = 'stats = (await steps.finishRun(runId)).stats;';
  if (!source.includes(finish)) throw new Error('the workflow changed: update the N+1 variant of this test');
  const variant = source
    .replace(finish, `if (patched('upgrade-probe')) await (steps as unknown as { upgradeProbe(id: string): Promise<void> }).upgradeProbe(runId);\n            ${finish}`)
    // type-only imports are erased by the bundler; keep their paths valid for readers anyway
    .replace(/from '\.\.\/libs\//g, "from '../../../libs/");
  writeFileSync(join(variantDir, 'workflows/import-task.workflow.ts'), variant);
  for (const file of readdirSync(join(ROOT, 'workflows'))) {
    if (file.endsWith('.ts') && file !== 'import-task.workflow.ts') {
      writeFileSync(join(variantDir, 'workflows', file), readFileSync(join(ROOT, 'workflows', file), 'utf8').replace(/from '\.\.\/libs\//g, "from '../../../libs/"));
    }
  }
  return bundleWorkflowCode({ workflowsPath: join(variantDir, 'workflows/index.ts'), logger: silent as never });
}

/** A worker of one version: N (today's code, load outages on demand) or N+1 (with the probe step). */
function startVersion(version: 'N' | 'N+1', deployment: { deploymentName: string; buildId: string } | undefined): Promise<RunningWorker> {
  const options: TestWorkerOptions = {
    config: { workerDeployment: deployment },
    maxHeartbeatThrottleInterval: '1s',
    activities: (activities) =>
      version === 'N'
        ? withFaults(activities, faults)
        : {
            ...activities,
            async upgradeProbe(runId: string) {
              probe.push(runId);
            },
          },
  };
  return stack.startWorker(options, version === 'N' ? bundleN : bundleN1);
}

/** `temporal worker deployment set-current-version`, once the version's worker has polled. */
async function setCurrentVersion(deployment: { deploymentName: string; buildId: string }): Promise<void> {
  let last: unknown;
  await eventually(async () => {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: api.config.temporalNamespace,
        deploymentName: deployment.deploymentName,
        buildId: deployment.buildId,
        identity: 'rolling-upgrade-test',
      });
      return true;
    } catch (err) {
      last = err;
      return false;
    }
  }, 30_000, 250).catch((err: unknown) => {
    throw new Error(`could not set ${deployment.deploymentName}.${deployment.buildId} current: ${String(last ?? err)}`);
  });
}

beforeAll(async () => {
  [bundleN, bundleN1] = await Promise.all([buildWorkflowBundle(), buildNextVersion()]);
  stack = await startStack({ taskQueue: uniq('upgrade'), api: true });
  ({ api, client } = stack);
  rest = runApi(api);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await scimServers.closeAll();
  if (variantDir) rmSync(variantDir, { recursive: true, force: true });
});

afterEach(() => {
  Object.assign(faults, noFaults());
});

describe.each([
  ['unversioned workers (a rolling restart)', false],
  ['Worker Versioning (new build id made current)', true],
])('upgrading from N to N+1 with %s', (_how, versioned) => {
  const deploymentName = uniq('scim-import').replace(/[^A-Za-z0-9_-]/g, '-');
  const versionOf = (buildId: string) => (versioned ? { deploymentName, buildId } : undefined);

  /** Deploys `version`: starts its worker and, under Worker Versioning, makes it the current version. */
  async function deploy(version: 'N' | 'N+1'): Promise<RunningWorker> {
    const deployment = versionOf(version === 'N' ? 'n' : 'n-plus-1');
    const worker = await startVersion(version, deployment);
    if (deployment) await setCurrentVersion(deployment);
    return worker;
  }

  it('a run waiting for a removal decision on N finishes on N+1 with exactly the approved removals', async () => {
    const n = await deploy('N');
    let n1: RunningWorker | undefined;
    try {
      const scim = await scimServers.start({ users: 10, groups: 0 });
      const codes = await rest.targetStore('upg-wait');
      const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
      expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded', stats: { created: 10 } });
      const gone = scim.admin.listUserIds().slice(0, 5);
      for (const id of gone) await scim.admin.deleteUser(id);
      await rest.settled(taskId);

      const started = await rest.runNow(taskId);
      const pending = await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
      expect(pending).toMatchObject({ status: 'running', removal: { state: 'awaitingApproval', total: 5 } });
      // the run waits in the execution it continued as new into, on version N
      await eventually(async () => (await client.workflow.getHandle(started.workflowId, started.temporalRunId!).describe()).status.name === 'CONTINUED_AS_NEW', 30_000, 100);

      if (versioned) {
        n1 = await deploy('N+1');
        await n.stop();
      } else {
        // every worker down for a moment: the decision is not lost in a fire-and-forget, the
        // caller hears that no worker answered, and the same request goes through once one runs
        await n.stop();
        const unanswered = await rest.post(`/api/v1/runs/${started.id}/approve-removals`);
        expect(unanswered.status).toBe(503);
        expect(String(unanswered.body.detail)).toContain('no worker answered the decision');
        n1 = await deploy('N+1');
      }

      expect((await rest.post(`/api/v1/runs/${started.id}/approve-removals`)).status).toBe(202);
      const done = await rest.waitRun(started.id, undefined, 60_000);
      expect(done).toMatchObject({ status: 'succeeded', stats: { removed: 5 }, removal: { state: 'applied', decision: 'approved', removed: 5 } });
      expect(sorted((await rest.records(done.id, 'removed')).map((r) => r.uniqueValue))).toEqual(sorted(gone));
      expect(sorted((await rest.datacards({ template: codes.account, status: 'removed' })).map((d) => d.uniqueValue))).toEqual(sorted(gone));
      // N+1 ran the rest: its added step saw the run
      expect(probe).toContain(started.id);
    } finally {
      await n.stop();
      await n1?.stop();
    }
  });

  it('a run that failed on N is resumed after the upgrade and finishes on N+1', async () => {
    const n = await deploy('N');
    let n1: RunningWorker | undefined;
    try {
      const scim = await scimServers.start({ users: 12, groups: 0 });
      const codes = await rest.targetStore('upg-resume');
      const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
      faults.loadOutages = 1;
      const failed = await rest.runToEnd(taskId);
      expect(failed).toMatchObject({ status: 'failed', error: { type: 'SimulatedOutage' } });
      await rest.settled(taskId);

      n1 = await deploy('N+1');
      await n.stop();

      const resumed = await rest.post(`/api/v1/runs/${failed.id}/retry`, { strategy: 'resume' });
      expect(resumed.status).toBe(202);
      const done = await rest.waitRun(resumed.body.id, undefined, 60_000);
      expect(done).toMatchObject({ status: 'succeeded', retryOf: failed.id, stats: { created: 12 } });
      expect(await rest.datacards({ template: codes.account })).toHaveLength(12);
      // the reset replays the failed execution's history, so the workflow goes on under the id
      // its prepareRun returned then; the API shows the resumed attempt as a run row of its own
      expect(probe).toContain(failed.id);
    } finally {
      await n.stop();
      await n1?.stop();
    }
  });
});
