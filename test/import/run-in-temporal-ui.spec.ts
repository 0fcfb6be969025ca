/**
 * What the Temporal UI shows of a run without opening its history: a run started by the task's
 * schedule carries the schedule action's static summary (task name, mode, trigger) and details
 * (connector, resources); the workflow keeps its current details (step and counts) up to date;
 * each step's activity carries a summary ("extract /Users").
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import { TaskScheduleService, scheduleIdForTask } from '@app/temporal';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { startStack, type Stack } from '../support/e2e-stack';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore } from './support/import-fixtures';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-ui', password: `pw-${randomBytes(8).toString('hex')}` };

let stack: Stack;
let config: AppConfig;
let ds: DataSource;
let client: Client;
let server: ScimDemoServer;

beforeAll(async () => {
  stack = await startStack({ taskQueue: `ui-${SUFFIX}`, worker: true, scim: { auth: AUTH, seed: { users: 30, groups: 4, membersPerUser: 2 } } });
  ({ config, ds, client, scim: server } = stack);
}, 180_000);

afterAll(() => stack?.stop());

it('a scheduled run shows its task, mode, trigger, connector, resources, progress and step summaries', async () => {
  const codes = await seedTargetStore(ds, `${SUFFIX}u`);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 10 });
  const taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
  const schedules = new TaskScheduleService(client, config.taskQueue);
  const name = `hr-users-${SUFFIX}`;
  await schedules.upsert({
    id: taskId,
    name,
    schedule: null,
    enabled: true,
    describe: { mode: 'full', connectorId, resources: ['/Users', '/Groups'] },
  });
  try {
    const d = await schedules.describeRaw(taskId);
    const action = d.action as { staticSummary?: string; staticDetails?: string };
    expect(action.staticSummary).toBe(`${name} · full · schedule`);
    expect(action.staticDetails).toBe(`**Connector:** ${connectorId}\n\n**Resources:** /Users, /Groups`);

    await schedules.trigger(taskId);
    let workflowId: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!workflowId && Date.now() < deadline) {
      workflowId = (await schedules.describeRaw(taskId)).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 200));
    }
    expect(workflowId).toBeDefined();
    const handle = client.workflow.getHandle(workflowId as string);
    await handle.result();
    expect((await runOf(ds, workflowId as string)).stats.created).toBe(34);

    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`${name} · full · schedule`);
    expect(await described.staticDetails()).toContain('/Users, /Groups');
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toBe('**succeeded · full run**\n\nfetched 34 · created 34 · updated 0 · unchanged 0 · removed 0 · failed 0');

    const history = await handle.fetchHistory();
    const converter = client.options.loadedDataConverter.payloadConverter;
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => (e.userMetadata?.summary ? converter.fromPayload<string>(e.userMetadata.summary) : undefined));
    expect(summaries).toEqual(expect.arrayContaining(['extract /Users', 'extract /Groups', 'map staged records', 'diff against the target store', 'load into the target store']));
  } finally {
    await client.schedule.getHandle(scheduleIdForTask(taskId)).delete();
  }
});
