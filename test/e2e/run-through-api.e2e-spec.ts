import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { Test } from 'supertest';
import type { Client } from '@temporalio/client';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { TEMPORAL_CLIENT } from '../../libs/temporal/src';
import type { ApiHarness } from '../support/api-harness';
import { startStack, type Stack } from '../support/e2e-stack';
import { eventually, taskBody, uniq } from '../support/fixtures';

const PASSWORD = `Pw-${randomUUID()}`;
const captured: string[] = [];

/** Nest logger that keeps every line, so the test can search them for the secret. */
class CapturingLogger implements LoggerService {
  log(m: unknown, ...rest: unknown[]) { captured.push(JSON.stringify([m, ...rest])); }
  error(m: unknown, ...rest: unknown[]) { captured.push(JSON.stringify([m, ...rest])); }
  warn(m: unknown, ...rest: unknown[]) { captured.push(JSON.stringify([m, ...rest])); }
  debug(m: unknown, ...rest: unknown[]) { captured.push(JSON.stringify([m, ...rest])); }
  verbose(m: unknown, ...rest: unknown[]) { captured.push(JSON.stringify([m, ...rest])); }
}

describe('a run through the REST API, end to end', () => {
  let stack: Stack;
  let api: ApiHarness;
  let scim: ScimDemoServer;
  const responses: string[] = [];
  const writes: string[] = [];
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });

  beforeAll(async () => {
    // everything the process prints is kept too
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => (writes.push(String(chunk)), originalStdout(chunk as string, ...(rest as [])))) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => (writes.push(String(chunk)), originalStderr(chunk as string, ...(rest as [])))) as typeof process.stderr.write;
    const wlog = { log: (m: string) => captured.push(m), warn: (m: string) => captured.push(m), error: (m: string) => captured.push(m) };
    stack = await startStack({
      taskQueue: uniq('e2e-queue'),
      config: { logLevel: 'verbose' },
      api: { logger: new CapturingLogger() },
      scim: { auth: { username: 'svc-import', password: PASSWORD }, seed: { users: 40, groups: 6, membersPerUser: 2 } },
      worker: { logger: wlog },
    });
    ({ api, scim } = stack);
  });
  afterAll(async () => {
    process.stdout.write = originalStdout;
    process.stderr.write = originalStderr;
    await stack?.stop();
  });

  async function call(req: Test, status: number) {
    const res = await req.expect(status);
    responses.push(res.text);
    return res;
  }

  let taskId: string;

  async function runToEnd(body: object = {}) {
    const run = await call(api.http().post(`/api/v1/tasks/${taskId}/runs`).set(auth()).send(body), 202);
    return eventually(async () => {
      const r = await call(api.http().get(`/api/v1/runs/${run.body.id}`).set(auth()), 200);
      return r.body.status !== 'running' ? r.body : undefined;
    }, 90_000, 300);
  }

  async function targetSnapshot() {
    return api.ds.query(
      `SELECT d.id, d.xmin::text AS xmin, d.updated_at, (SELECT count(*) FROM datacard_link l WHERE l.datacard_id = d.id)::int AS links
       FROM datacard d WHERE d.task_id = $1 ORDER BY d.id`,
      [taskId],
    );
  }

  it('imports accounts and entitlements with memberships, and no secret leaks anywhere', async () => {
    const connector = await call(
      api.http().post('/api/v1/connectors').set(auth()).send({ name: uniq('demo'), baseUrl: scim.url, auth: { type: 'basic', username: 'svc-import', password: PASSWORD } }),
      201,
    );
    await call(api.http().post(`/api/v1/connectors/${connector.body.id}/test-authentication`).set(auth()), 200);
    const task = await call(
      api.http().post('/api/v1/tasks').set(auth()).send(taskBody(connector.body.id, { schedule: null, filters: null })),
      201,
    );
    taskId = task.body.id;
    const done = await runToEnd();
    const run = { body: done };
    expect(done.status).toBe('succeeded');
    const users = scim.admin.listUserIds();
    const groups = scim.admin.listGroupIds();
    expect(done.stats).toMatchObject({ created: users.length + groups.length, failed: 0 });

    const accounts = await call(api.http().get(`/api/v1/datacards?template=account&taskId=${task.body.id}&limit=1000`).set(auth()), 200);
    expect(accounts.body.items.map((d: { uniqueValue: string }) => d.uniqueValue).sort()).toEqual([...users].sort());
    const sample = accounts.body.items[0];
    const source = scim.admin.getUser(sample.uniqueValue) as { userName: string };
    expect(sample.attributes.login).toBe(source.userName);

    const ents = await call(api.http().get(`/api/v1/datacards?template=entitlement&taskId=${task.body.id}&limit=1000`).set(auth()), 200);
    expect(ents.body.items).toHaveLength(groups.length);
    const idByScim = new Map<string, string>(accounts.body.items.map((d: { id: string; uniqueValue: string }) => [d.uniqueValue, d.id]));
    const withMembers = ents.body.items.find((e: { attributes: { members?: string[] } }) => (e.attributes.members ?? []).length > 0);
    expect(withMembers).toBeDefined();
    for (const m of withMembers.attributes.members) expect([...idByScim.values()]).toContain(m);

    const created = await call(api.http().get(`/api/v1/runs/${run.body.id}/records?outcome=created&limit=1000`).set(auth()), 200);
    expect(created.body.items).toHaveLength(users.length + groups.length);

    // the secret: not in any response, log line, printed output, workflow history or search attribute
    const client = api.app.get<Client>(TEMPORAL_CLIENT);
    const handle = client.workflow.getHandle(done.workflowId);
    const history = JSON.stringify(await handle.fetchHistory());
    const description = JSON.stringify((await handle.describe()).typedSearchAttributes.getAll());
    for (const [where, text] of [
      ['responses', responses.join('\n')],
      ['logs', captured.join('\n')],
      ['stdout/stderr', writes.join('')],
      ['workflow history', history],
      ['search attributes', description],
    ] as const) {
      expect({ where, leaked: text.includes(PASSWORD) }).toEqual({ where, leaked: false });
    }
    expect(captured.length).toBeGreaterThan(0);
  });

  it('a second run with no source change reports every record unchanged and writes nothing', async () => {
    const before = await targetSnapshot();
    const done = await runToEnd();
    expect(done.status).toBe('succeeded');
    const total = scim.admin.listUserIds().length + scim.admin.listGroupIds().length;
    expect(done.stats).toMatchObject({ fetched: total, created: 0, updated: 0, unchanged: total, failed: 0 });
    expect(await targetSnapshot()).toEqual(before);
  });

  it('changing 3 users at the source updates exactly those 3', async () => {
    const changed = scim.admin.listUserIds().slice(0, 3);
    for (const id of changed) await scim.admin.updateUser(id, { title: `Changed ${id}`, userName: `renamed-${id}@example.com` });
    const done = await runToEnd();
    expect(done.stats).toMatchObject({ updated: 3, created: 0, failed: 0 });
    const updated = await call(api.http().get(`/api/v1/runs/${done.id}/records?outcome=updated`).set(auth()), 200);
    expect(updated.body.items.map((r: { uniqueValue: string }) => r.uniqueValue).sort()).toEqual([...changed].sort());
    const card = await call(api.http().get(`/api/v1/datacards?template=account&q=renamed-${changed[0]}`).set(auth()), 200);
    expect(card.body.items[0].attributes.login).toBe(`renamed-${changed[0]}@example.com`);
  });

  it('an incremental run reads only the records changed since the last run', async () => {
    await call(api.http().patch(`/api/v1/tasks/${taskId}`).set(auth()).send({ type: 'incremental' }), 200);
    // the source's lastModified has second precision in the filter; step past the watermark
    await new Promise((r) => setTimeout(r, 1100));
    const changed = scim.admin.listUserIds().slice(5, 7);
    for (const id of changed) await scim.admin.updateUser(id, { userName: `incremental-${id}@example.com` });
    const done = await runToEnd();
    expect(done.status).toBe('succeeded');
    expect(done.mode).toBe('incremental');
    expect(done.stats.updated).toBe(2);
    expect(done.stats.removed).toBe(0);
    // groups are re-read in full only when they changed; users: just the changed ones (plus the overlap window)
    expect(done.stats.fetched).toBeLessThan(scim.admin.listUserIds().length);
  });
});
