/**
 * The import run end to end: real PostgreSQL, real Temporal dev server, real demo SCIM server,
 * the real workflow bundle and activities.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@app/config';
import { SecretBox } from '@app/persistence';
import { FILTER_FALLBACK_NOTE } from '@app/import';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import {
  identityAndAccessConfig,
  insertConnector,
  insertTask,
  runOf,
  runTask,
  scimGet,
  seedTargetStore,
  targetView,
  writeFingerprint,
  type TargetCodes,
} from './support/import-fixtures';
import { startStack, type Stack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';

const SUFFIX = randomBytes(4).toString('hex');
const TASK_QUEUE = `import-run-${SUFFIX}`;
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

let stack: Stack;
let config: AppConfig;
let ds: DataSource;
let box: SecretBox;
let client: Client;
let codes: TargetCodes;

beforeAll(async () => {
  stack = await startStack({ taskQueue: TASK_QUEUE, poolSize: 5, worker: true });
  ({ config, ds, client } = stack);
  box = new SecretBox(config.secretKey);
  codes = await seedTargetStore(ds, SUFFIX);
}, 180_000);

afterAll(() => stack?.stop());

describe('identityAndAccess full task', () => {
  let server: ScimDemoServer;
  let taskId: string;
  const templates = () => [codes.account, codes.entitlement];

  beforeAll(async () => {
    server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 40, groups: 6, membersPerUser: 2 } });
    const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH, pageSize: 15 });
    taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(codes) });
  });
  afterAll(() => server?.close());

  it('first full run creates accounts and entitlements with memberships exactly as mapped', async () => {
    const { workflowId, result } = await runTask(client, TASK_QUEUE, taskId);
    const run = await runOf(ds, workflowId);
    expect(run).toMatchObject({ status: 'succeeded', mode: 'full', phase: 'done' });
    expect(run.stats).toEqual({ fetched: 46, created: 46, updated: 0, unchanged: 0, removed: 0, failed: 0 });
    expect(result.stats).toEqual(run.stats);
    expect(run.extract_reports.map((r) => r.complete)).toEqual([true, true]);

    const view = await targetView(ds, codes);
    expect(Object.keys(view.accounts).sort()).toEqual(server.admin.listUserIds().sort());
    for (const id of server.admin.listUserIds()) {
      const u = server.admin.getUser(id) as {
        userName: string; name: { givenName: string; familyName: string }; emails: Array<{ type: string; value: string }>;
        [k: string]: unknown;
      };
      const enterprise = u['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] as { department: string };
      expect(view.accounts[id]).toMatchObject({
        scimId: id,
        login: u.userName,
        email: u.emails.find((e) => e.type === 'work')?.value,
        firstName: u.name.givenName,
        lastName: u.name.familyName,
        department: enterprise.department,
      });
    }
    expect(Object.keys(view.groups).sort()).toEqual(server.admin.listGroupIds().sort());
    let memberships = 0;
    for (const gid of server.admin.listGroupIds()) {
      const group = (await scimGet(server.url, `/Groups/${gid}`, AUTH)) as { displayName: string; members?: Array<{ value: string }> };
      const expected = (group.members ?? []).map((m) => String(m.value)).sort();
      memberships += expected.length;
      expect(view.groups[gid].attributes).toMatchObject({ scimId: gid, name: group.displayName });
      expect(view.groups[gid].members).toEqual(expected);
      expect(view.groups[gid].links).toEqual(expected);
    }
    expect(memberships).toBe(80);
    const owners: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM datacard WHERE template_code = ANY($1) AND task_id = $2`, [templates(), taskId]);
    expect(Number(owners[0].n)).toBe(46);
    const staged: Array<{ n: string }> = await ds.query(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [run.id]);
    expect(Number(staged[0].n)).toBe(0);
  });

  it('a second run with no source change reports everything unchanged and writes nothing to the target', async () => {
    const before = await writeFingerprint(ds, taskId, templates());
    const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
    const run = await runOf(ds, workflowId);
    expect(run.status).toBe('succeeded');
    expect(run.stats).toEqual({ fetched: 46, created: 0, updated: 0, unchanged: 46, removed: 0, failed: 0 });
    expect(await writeFingerprint(ds, taskId, templates())).toBe(before);
  });

  it('changing 3 users at the source updates exactly 3', async () => {
    const changed = server.admin.listUserIds().slice(5, 8);
    for (const id of changed) await server.admin.updateUser(id, { name: { givenName: `Changed-${id.slice(0, 4)}`, familyName: 'Renamed' } });
    const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
    const run = await runOf(ds, workflowId);
    expect(run.stats).toEqual({ fetched: 46, created: 0, updated: 3, unchanged: 43, removed: 0, failed: 0 });
    const updated: Array<{ unique_value: string }> = await ds.query(
      `SELECT unique_value FROM run_record WHERE run_id = $1 AND outcome = 'updated' ORDER BY 1`,
      [run.id],
    );
    expect(updated.map((r) => r.unique_value)).toEqual([...changed].sort());
    const view = await targetView(ds, codes);
    for (const id of changed) expect(view.accounts[id]).toMatchObject({ firstName: `Changed-${id.slice(0, 4)}`, lastName: 'Renamed' });
  });

  it('passing a cache-clear boundary re-pushes everything', async () => {
    // as if every entry had been pushed before the latest clear hour (00:00 UTC)
    await ds.query(`UPDATE datacard_sighting SET pushed_at = pushed_at - interval '25 hours' WHERE task_id = $1`, [taskId]);
    const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
    const run = await runOf(ds, workflowId);
    expect(run.stats).toEqual({ fetched: 46, created: 0, updated: 46, unchanged: 0, removed: 0, failed: 0 });
    const { workflowId: again } = await runTask(client, TASK_QUEUE, taskId);
    expect((await runOf(ds, again)).stats.unchanged).toBe(46);
  });

  it('a record without the unique attribute fails on its own while the rest loads', async () => {
    const other = await seedTargetStore(ds, `${SUFFIX}u`);
    const cfg = identityAndAccessConfig(other);
    const identity = { ...cfg.identity!, unique: { external: 'externalId', local: 'externalId' } };
    const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH });
    const task = await insertTask(ds, { connectorId, mappingsType: 'identityOnly', config: { ...cfg, identity, access: null } });
    const { id: lonely } = await server.admin.addUser({ userName: 'no.external.id@example.com', name: { givenName: 'No', familyName: 'External' } });

    const { workflowId } = await runTask(client, TASK_QUEUE, task);
    const run = await runOf(ds, workflowId);
    expect(run.status).toBe('succeeded');
    expect(run.stats).toMatchObject({ fetched: 41, created: 40, failed: 1 });
    const failed: Array<{ source_id: string; message: string }> = await ds.query(
      `SELECT source_id, message FROM run_record WHERE run_id = $1 AND outcome = 'failed'`,
      [run.id],
    );
    expect(failed).toHaveLength(1);
    expect(failed[0].source_id).toBe(lonely);
    expect(failed[0].message).toMatch(/externalId|unique/i);
    await server.admin.deleteUser(lonely);
  });
});

describe('groups listed without members', () => {
  it('reads the members of each group with GET /Groups/{id} and links them', async () => {
    const server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 12, groups: 3, membersPerUser: 1 }, quirks: { omitMembersInList: true } });
    try {
      const own = await seedTargetStore(ds, `${SUFFIX}m`);
      const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH });
      const taskId = await insertTask(ds, { connectorId, config: identityAndAccessConfig(own) });
      const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
      expect((await runOf(ds, workflowId)).stats).toMatchObject({ created: 15, failed: 0 });
      server.setQuirks({});
      const view = await targetView(ds, own);
      let total = 0;
      for (const gid of server.admin.listGroupIds()) {
        const group = (await scimGet(server.url, `/Groups/${gid}`, AUTH)) as { members?: Array<{ value: string }> };
        const expected = (group.members ?? []).map((m) => String(m.value)).sort();
        total += expected.length;
        expect(view.groups[gid].links).toEqual(expected);
      }
      expect(total).toBe(12);
    } finally {
      await server.close();
    }
  });
});

describe('generic mapping', () => {
  it('imports a resource type that is neither User nor Group (/Devices)', async () => {
    const server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 5, groups: 1, devices: 12 } });
    try {
      const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH });
      const cfg = identityAndAccessConfig(codes, {
        identity: null,
        access: null,
        generic: {
          resourcePath: '/Devices',
          templateCode: codes.device,
          folderCode: codes.device,
          unique: { external: 'serialNumber', local: 'serial' },
          attributes: [
            { external: 'displayName', local: 'name' },
            { external: 'model', local: 'model' },
            { external: 'platform', local: 'platform' },
          ],
        },
      });
      const taskId = await insertTask(ds, { connectorId, mappingsType: 'generic', config: cfg });
      const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
      const run = await runOf(ds, workflowId);
      expect(run.status).toBe('succeeded');
      expect(run.stats).toMatchObject({ fetched: 12, created: 12, failed: 0 });
      const listing = (await scimGet(server.url, '/Devices?count=100', AUTH)) as { Resources: Array<Record<string, string>> };
      const cards: Array<{ unique_value: string; attributes: Record<string, string> }> = await ds.query(
        `SELECT unique_value, attributes FROM datacard WHERE template_code = $1 AND task_id = $2`,
        [codes.device, taskId],
      );
      expect(cards).toHaveLength(12);
      for (const d of listing.Resources) {
        const card = cards.find((c) => c.unique_value === d.serialNumber);
        expect(card?.attributes).toMatchObject({ serial: d.serialNumber, name: d.displayName, model: d.model, platform: d.platform });
      }
    } finally {
      await server.close();
    }
  });
});

describe('incremental task', () => {
  let server: ScimDemoServer;
  let taskId: string;
  let incCodes: TargetCodes;

  /** Users the source changed after the run's changed-since instant: what an incremental read must fetch. */
  async function changedSince(workflowId: string): Promise<number> {
    const rows: Array<{ since: string }> = await ds.query(`SELECT config_snapshot->>'since' AS since FROM run WHERE workflow_id = $1`, [workflowId]);
    const since = Date.parse(rows[0].since);
    return server.admin.listUserIds().filter((id) => Date.parse((server.admin.getUser(id)?.meta as { lastModified: string }).lastModified) > since).length;
  }

  beforeAll(async () => {
    incCodes = await seedTargetStore(ds, `${SUFFIX}i`);
    server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 20, groups: 0 } });
    const connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH });
    taskId = await insertTask(ds, { connectorId, type: 'incremental', mappingsType: 'identityOnly', config: identityAndAccessConfig(incCodes, { access: null }) });
  });
  afterAll(() => server?.close());

  it('reads everything the first time, then only the records changed since the watermark', async () => {
    const first = await runTask(client, TASK_QUEUE, taskId);
    const run1 = await runOf(ds, first.workflowId);
    expect(run1).toMatchObject({ status: 'succeeded', mode: 'full' });
    expect(run1.stats).toMatchObject({ fetched: 20, created: 20 });

    const ids = server.admin.listUserIds();
    await server.admin.updateUser(ids[2], { name: { givenName: 'Inc', familyName: 'One' } });
    await server.admin.updateUser(ids[9], { name: { givenName: 'Inc', familyName: 'Two' } });
    const second = await runTask(client, TASK_QUEUE, taskId);
    const run2 = await runOf(ds, second.workflowId);
    expect(run2).toMatchObject({ status: 'succeeded', mode: 'incremental' });
    expect(run2.stats).toMatchObject({ fetched: 2, updated: 2, created: 0, unchanged: 0 });
    expect(await changedSince(second.workflowId)).toBe(2);
    expect(run2.notes).toEqual([]);
  });

  it('falls back to a full read, and says so, when the server rejects the lastModified filter', async () => {
    server.setQuirks({ noLastModifiedFilter: true });
    try {
      await server.admin.updateUser(server.admin.listUserIds()[4], { name: { givenName: 'Inc', familyName: 'Three' } });
      const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
      const run = await runOf(ds, workflowId);
      expect(run).toMatchObject({ status: 'succeeded', mode: 'incremental' });
      expect(run.stats).toMatchObject({ fetched: 20, updated: 1, unchanged: 19 });
      expect(run.notes.join('\n')).toContain(FILTER_FALLBACK_NOTE);
    } finally {
      server.setQuirks({});
    }
  });

  it('notices a server that ignores the filter, reads everything and keeps only what changed', async () => {
    server.setQuirks({ ignoreFilter: true });
    try {
      await server.admin.updateUser(server.admin.listUserIds()[7], { name: { givenName: 'Inc', familyName: 'Four' } });
      const { workflowId } = await runTask(client, TASK_QUEUE, taskId);
      const run = await runOf(ds, workflowId);
      expect(run).toMatchObject({ status: 'succeeded', mode: 'incremental' });
      expect(run.stats.fetched).toBe(await changedSince(workflowId));
      expect(run.stats.fetched).toBeLessThan(20);
      expect(run.stats.updated).toBe(1);
      expect(run.notes.join('\n')).toContain(FILTER_FALLBACK_NOTE);
    } finally {
      server.setQuirks({});
    }
  });

  it('a rejected password fails the run at once and leaves one failure datacard without the secret', async () => {
    server.setAuth({ basic: { username: AUTH.username, password: 'rotated-elsewhere' } });
    try {
      const workflowId = `import-task-${taskId}-auth-${Date.now()}`;
      const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual' }, taskQueue: TASK_QUEUE, workflowId });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const run = await runOf(ds, workflowId);
      expect(run.status).toBe('failed');
      expect(run.error?.type).toBe('ScimAuthError');
      const cards: Array<{ attributes: { message: string } }> = await ds.query(
        `SELECT attributes FROM datacard WHERE template_code = $1 AND unique_value = $2`,
        [incCodes.failure, run.id],
      );
      expect(cards).toHaveLength(1);
      expect(cards[0].attributes.message).toMatch(new RegExp(`^ScimAuthError: .*\\(run ${run.id}, \\d{4}-`));
      expect(cards[0].attributes.message).not.toContain(AUTH.password);
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? [])
        .map((e) => e.activityTaskStartedEventAttributes?.attempt)
        .filter((a): a is number => typeof a === 'number');
      // every activity ran once: ScimAuthError is non-retryable, so extract was not retried
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      expect(attempts.every((a) => a === 1)).toBe(true);
    } finally {
      server.setAuth({ basic: AUTH });
    }
  });
});
