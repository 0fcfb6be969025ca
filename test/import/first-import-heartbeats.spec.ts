/**
 * The first import of a 20,000-user / 2,000-group source (5 memberships per user), into target
 * tables this task has never written: every activity completes on its first attempt, none times
 * out. Long statements heartbeat while they run and the load refreshes the statistics of what it
 * just wrote before it joins on it, so no step depends on statistics that do not exist yet.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import { BenchDataSet } from '../../bench/data-generator';
import { FixtureScimServer } from '../../bench/fixture-scim-server';
import { startStack, type Stack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';
import { identityAndAccessConfig, insertConnector, insertTask, runOf, seedTargetStore } from './support/import-fixtures';

const SUFFIX = randomBytes(4).toString('hex');
const USERS = 20_000;
const GROUPS = 2_000;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

let stack: Stack;
let config: AppConfig;
let ds: DataSource;
let client: Client;
let server: FixtureScimServer;

beforeAll(async () => {
  stack = await startStack({ taskQueue: `import-first-${SUFFIX}`, worker: true });
  ({ config, ds, client } = stack);
  const dataSet = new BenchDataSet({ users: USERS, groups: GROUPS, membershipsPerUser: 5, seed: 11 });
  server = await FixtureScimServer.start({ dataSet, ...AUTH });
  stack.onStop(() => server.close());
}, 180_000);

afterAll(() => stack?.stop());

it('a first import of 20,000 users and 2,000 groups runs every activity once, without a timeout', async () => {
  const codes = await seedTargetStore(ds, `${SUFFIX}h`);
  const connectorId = await insertConnector(ds, new SecretBox(config.secretKey), { baseUrl: server.url, ...AUTH, pageSize: 200 });
  const taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
  const workflowId = `import-task-${taskId}-first`;
  const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: config.taskQueue, workflowId });
  await handle.result();

  const run = await runOf(ds, workflowId);
  expect(run.status).toBe('succeeded');
  expect(run.stats).toEqual({ fetched: USERS + GROUPS, created: USERS + GROUPS, updated: 0, unchanged: 0, removed: 0, failed: 0 });
  const links: Array<{ n: string }> = await ds.query(
    `SELECT count(*) AS n FROM datacard_link l JOIN datacard d ON d.id = l.datacard_id WHERE d.template_code = $1`,
    [codes.entitlement],
  );
  expect(Number(links[0].n)).toBe(USERS * 5);

  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const started = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes?.attempt);
  const timedOut = events.filter((e) => e.activityTaskTimedOutEventAttributes);
  const failed = events.filter((e) => e.activityTaskFailedEventAttributes);
  expect(started.length).toBeGreaterThanOrEqual(6);
  expect({ attempts: [...new Set(started)], timedOut: timedOut.length, failed: failed.length }).toEqual({ attempts: [1], timedOut: 0, failed: 0 });
}, 600_000);
