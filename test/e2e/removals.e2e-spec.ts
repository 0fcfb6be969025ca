/**
 * Removal reconciliation end to end, through the REST API: real demo SCIM servers, real
 * PostgreSQL, real Temporal (dev server), the production workflow bundle and activities.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { TEMPORAL_CLIENT } from '../../libs/temporal/src';
import { useStack } from '../support/e2e-stack';
import { startImportWorkflow } from '../support/start-import';
import { uniq } from '../support/fixtures';
import { runApi, scimServerPool, sorted, type RunApi } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;

const { api } = useStack({ taskQueue: uniq('e2e-removals'), api: true, worker: true });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
afterAll(() => scimServers.closeAll());

describe('a full run removes exactly what the source no longer has', () => {
  it('deleting 2 users and 1 group: the next full run marks exactly those removed, once', async () => {
    const scim = await scimServers.start({ users: 40, groups: 6, membersPerUser: 2 });
    const codes = await rest.targetStore('rm');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
    const first = await rest.runToEnd(taskId);
    expect(first).toMatchObject({ status: 'succeeded', stats: { created: 46, removed: 0 } });
    expect(first.removal).toMatchObject({ state: 'applied', total: 0, removed: 0 });

    const goneUsers = scim.admin.listUserIds().slice(3, 5);
    const goneGroup = scim.admin.listGroupIds()[2];
    for (const id of goneUsers) await scim.admin.deleteUser(id);
    await scim.admin.deleteGroup(goneGroup);

    const second = await rest.runToEnd(taskId);
    expect(second.status).toBe('succeeded');
    expect(second.stats.removed).toBe(3);
    expect(second.removal).toMatchObject({
      state: 'applied',
      decision: 'withinThreshold',
      candidates: { identity: 2, access: 1, generic: 0 },
      total: 3,
      removed: 3,
      threshold: { maxRemovalPercent: 20, active: { identity: 40, access: 6 }, exceeded: false },
    });
    const removed = await rest.records(second.id, 'removed');
    expect(sorted(removed.map((r) => r.uniqueValue))).toEqual(sorted([...goneUsers, goneGroup]));
    expect(sorted(removed.map((r) => r.sourceId))).toEqual(sorted([...goneUsers, goneGroup]));

    const removedAccounts = await rest.datacards({ template: codes.account, status: 'removed' });
    expect(sorted(removedAccounts.map((d) => d.uniqueValue))).toEqual(sorted(goneUsers));
    for (const d of removedAccounts) expect(d.attributes.accountStatus).toBe('Deleted');
    const removedGroups = await rest.datacards({ template: codes.entitlement, status: 'removed' });
    expect(removedGroups.map((d) => d.uniqueValue)).toEqual([goneGroup]);
    expect(removedGroups[0].attributes.status).toBe('5 - Removed');
    expect(await rest.datacards({ template: codes.account, status: 'active' })).toHaveLength(38);
    expect(await rest.datacards({ template: codes.entitlement, status: 'active' })).toHaveLength(5);

    // removal marks, never deletes; and a removed record is not removed again
    expect(await rest.datacards({ template: codes.account })).toHaveLength(40);
    const third = await rest.runToEnd(taskId);
    expect(third.stats).toMatchObject({ removed: 0, created: 0, updated: 0, unchanged: 43 });
    expect(third.removal).toMatchObject({ state: 'applied', total: 0 });
  });

  it('an incremental run after a deletion removes nothing and says why; the next full run removes it', async () => {
    const scim = await scimServers.start({ users: 20, groups: 0 });
    const codes = await rest.targetStore('inc');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { type: 'incremental', mappingsType: 'identityOnly', access: null });
    const first = await rest.runToEnd(taskId);
    expect(first).toMatchObject({ status: 'succeeded', mode: 'full', stats: { created: 20 } });

    const gone = scim.admin.listUserIds()[7];
    await scim.admin.deleteUser(gone);
    const incremental = await rest.runToEnd(taskId);
    expect(incremental).toMatchObject({ status: 'succeeded', mode: 'incremental', stats: { removed: 0 } });
    expect(incremental.removal).toMatchObject({ state: 'skipped' });
    expect(incremental.removal?.reason).toMatch(/incremental runs never remove/);
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);

    const full = await rest.runToEnd(taskId, 'full');
    expect(full).toMatchObject({ status: 'succeeded', mode: 'full', stats: { removed: 1 } });
    expect((await rest.datacards({ template: codes.account, status: 'removed' })).map((d) => d.uniqueValue)).toEqual([gone]);
  });
});

describe('a read that is not proven complete never removes', () => {
  let scim: ScimDemoServer;
  let taskId: string;
  let codes: Awaited<ReturnType<RunApi['targetStore']>>;

  beforeAll(async () => {
    scim = await scimServers.start({ users: 40, groups: 0 });
    codes = await rest.targetStore('trunc');
    taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded', stats: { created: 40 } });
  });
  afterEach(() => scim.setQuirks({}));

  async function expectNothingRemoved(reason: RegExp) {
    const run = await rest.runToEnd(taskId);
    expect(run.status).toBe('succeeded');
    expect(run.stats.removed).toBe(0);
    expect(run.removal).toMatchObject({ state: 'skipped' });
    expect(run.removal?.reason).toMatch(reason);
    expect(run.notes.join('\n')).toMatch(/nothing was removed/);
    expect(await rest.datacards({ template: codes.account, status: 'active' })).toHaveLength(40);
    return run;
  }

  // 4 of 40 missing is within the 20% threshold: only the completeness proof stops the removal
  it('a truncated listing (totalResults still honest) removes nothing, and the run says why', async () => {
    scim.setQuirks({ truncateAfter: 36 });
    const run = await expectNothingRemoved(/not proven complete/);
    expect(run.extractReports[0].complete).toBe(false);
    expect(run.stats.fetched).toBe(36);
  });

  it('a truncated listing that also lies about totalResults removes nothing', async () => {
    scim.setQuirks({ truncateAfter: 36, truncateWrongTotal: true });
    const run = await expectNothingRemoved(/not proven complete/);
    expect(run.extractReports[0].complete).toBe(false);
  });

  it('an empty listing (a filter matching nothing) removes nothing, and the run says why', async () => {
    await rest.patchTask(taskId, { filters: { users: 'userName eq "nobody@nowhere.invalid"' } });
    try {
      const run = await expectNothingRemoved(/listed no records at \/Users \(this task has 40 active\); an empty listing never removes/);
      expect(run.stats.fetched).toBe(0);
      expect(run.extractReports[0].complete).toBe(true);
    } finally {
      await rest.patchTask(taskId, { filters: null });
    }
  });
});

describe('safety threshold', () => {
  async function fiftyPercentGone(prefix: string) {
    const scim = await scimServers.start({ users: 20, groups: 0 });
    const codes = await rest.targetStore(prefix);
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded', stats: { created: 20 } });
    const gone = scim.admin.listUserIds().filter((_, i) => i % 2 === 0);
    for (const id of gone) await scim.admin.deleteUser(id);
    const started = await rest.runNow(taskId);
    const pending = await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
    return { scim, codes, taskId, gone, pending };
  }

  it('deleting 50% with the threshold at 20%: nothing is removed until approved, then exactly the computed set', async () => {
    const { codes, gone, pending } = await fiftyPercentGone('thr');
    expect(pending.status).toBe('running');
    expect(pending.removal).toMatchObject({
      state: 'awaitingApproval',
      candidates: { identity: 10, access: 0, generic: 0 },
      total: 10,
      threshold: { maxRemovalPercent: 20, active: { identity: 20 }, exceeded: true },
    });
    expect(Date.parse(pending.removal!.decisionDeadline!) - Date.now()).toBeGreaterThan(71 * 3_600_000);
    expect(pending.notes.join('\n')).toContain(`/api/v1/runs/${pending.id}/approve-removals`);
    // waiting: nothing removed yet, and it stays so
    await new Promise((r) => setTimeout(r, 1000));
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);
    expect((await rest.run(pending.id)).status).toBe('running');

    // the person deciding sees each candidate's login (the mapping's userName attribute) beside its unique value
    const cards = new Map((await rest.datacards({ template: codes.account })).map((d) => [d.id, d]));
    const candidates = await api.http().get(`/api/v1/runs/${pending.id}/removal-candidates?limit=1000`).set(rest.auth());
    expect(candidates.status).toBe(200);
    const items = candidates.body.items as Array<{ datacardId: string; uniqueValue: string; summary: string | null }>;
    expect(sorted(items.map((c) => c.uniqueValue))).toEqual(sorted(gone));
    for (const c of items) {
      expect(c.summary).toMatch(/@example\.com$/);
      expect(c.summary).toBe(cards.get(c.datacardId)!.attributes.login);
    }

    const approved = await rest.post(`/api/v1/runs/${pending.id}/approve-removals`);
    expect(approved.status).toBe(202);
    const done = await rest.waitRun(pending.id);
    expect(done).toMatchObject({ status: 'succeeded', stats: { removed: 10 } });
    expect(done.removal).toMatchObject({ state: 'applied', decision: 'approved', removed: 10 });
    expect(sorted((await rest.records(done.id, 'removed')).map((r) => r.uniqueValue))).toEqual(sorted(gone));
    expect(sorted((await rest.datacards({ template: codes.account, status: 'removed' })).map((d) => d.uniqueValue))).toEqual(sorted(gone));

    // a decision on a run that is not waiting is a conflict
    const late = await rest.post(`/api/v1/runs/${pending.id}/approve-removals`);
    expect(late.status).toBe(409);
  });

  it('rejecting the pending removals finishes the run without removing anything', async () => {
    const { codes, pending } = await fiftyPercentGone('rej');
    expect(pending.removal?.state).toBe('awaitingApproval');
    expect((await rest.post(`/api/v1/runs/${pending.id}/reject-removals`)).status).toBe(202);
    // the workflow answers the decision: once rejected, an approval is refused with the reason
    const approveAfter = await rest.post(`/api/v1/runs/${pending.id}/approve-removals`);
    expect(approveAfter.status).toBe(409);
    expect(String(approveAfter.body.detail)).toMatch(/already rejected|not waiting for a removal decision/);
    const done = await rest.waitRun(pending.id);
    expect(done).toMatchObject({ status: 'succeeded', stats: { removed: 0 } });
    expect(done.removal).toMatchObject({ state: 'rejected', decision: 'rejected', removed: 0 });
    expect(done.notes.join('\n')).toMatch(/rejected the removals/);
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);
  });

  it('pending removals expire without a decision: nothing is removed and the run says so', async () => {
    const scim = await scimServers.start({ users: 10, groups: 0 });
    const codes = await rest.targetStore('exp');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { mappingsType: 'identityOnly', access: null });
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded' });
    for (const id of scim.admin.listUserIds().slice(0, 5)) await scim.admin.deleteUser(id);
    // a run started by hand may shorten the decision timeout (a schedule uses the 72 h default)
    const client = api.app.get<Client>(TEMPORAL_CLIENT);
    const workflowId = `import-task-${taskId}-expiry-${Date.now()}`;
    const handle = await startImportWorkflow(client, {
      input: { taskId, trigger: 'manual', removalDecisionTimeoutMs: 3000 },
      taskQueue: api.config.taskQueue,
      workflowId,
    });
    await handle.result();
    const rows: Array<{ id: string }> = await api.ds.query(`SELECT id FROM run WHERE workflow_id = $1`, [workflowId]);
    const run = await rest.run(rows[0].id);
    expect(run).toMatchObject({ status: 'succeeded', stats: { removed: 0 } });
    expect(run.removal).toMatchObject({ state: 'expired', decision: 'expired', total: 5, removed: 0 });
    expect(run.notes.join('\n')).toMatch(/expired and nothing was removed/);
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);
  });
});

describe('several tasks reading the same records', () => {
  it('one task never removes what another still sees; a record nobody sees any more is removed', async () => {
    // the seed makes every 17th user inactive: 2 of 40 fall outside "active eq true"
    const scim = await scimServers.start({ users: 40, groups: 0 });
    const codes = await rest.targetStore('shared');
    const connectorId = await rest.connector(scim, USER, PASSWORD);
    const identityOnly = { mappingsType: 'identityOnly', access: null };
    const wide = await rest.task(connectorId, codes, identityOnly);
    const narrow = await rest.task(connectorId, codes, identityOnly);
    expect(await rest.runToEnd(wide)).toMatchObject({ status: 'succeeded', stats: { created: 40 } });
    expect(await rest.runToEnd(narrow)).toMatchObject({ status: 'succeeded', stats: { created: 0, updated: 40 } });

    // the narrow task's scope drops the inactive users; the wide task still sees them
    await rest.patchTask(narrow, { filters: { users: 'active eq true' } });
    const dropped = scim.admin.listUserIds().filter((id) => (scim.admin.getUser(id) as { active: boolean }).active === false);
    expect(dropped).toHaveLength(2);
    const narrowRun = await rest.runToEnd(narrow);
    expect(narrowRun).toMatchObject({ status: 'succeeded', stats: { fetched: 38, removed: 0 } });
    expect(narrowRun.removal).toMatchObject({ state: 'applied', candidates: { identity: 0 }, total: 0 });
    expect(await rest.datacards({ template: codes.account, status: 'removed' })).toHaveLength(0);

    // one of them is deleted at the source: the wide task no longer sees it and the narrow one
    // did not see it in its latest full read, so no owner sees it any more
    await scim.admin.deleteUser(dropped[0]);
    const wideRun = await rest.runToEnd(wide);
    expect(wideRun).toMatchObject({ status: 'succeeded', stats: { removed: 1 } });
    expect((await rest.records(wideRun.id, 'removed')).map((r) => r.uniqueValue)).toEqual([dropped[0]]);

    // and the other way round: a record the narrow task still sees survives the wide task's loss of it
    await rest.patchTask(wide, { filters: { users: 'active eq false' } });
    const keptByNarrow = await rest.runToEnd(wide);
    expect(keptByNarrow).toMatchObject({ status: 'succeeded', stats: { fetched: 1, removed: 0 } });
    // the wide task now sees only dropped[1]; 37 records it lost are still seen by the narrow task
    expect(keptByNarrow.removal).toMatchObject({ state: 'applied', candidates: { identity: 0 } });
    expect((await rest.datacards({ template: codes.account, status: 'removed' })).map((d) => d.uniqueValue)).toEqual([dropped[0]]);
  });
});

describe('reactivation', () => {
  it('a removed record that reappears gets reactivateValue when configured, and stays removed otherwise', async () => {
    const scim = await scimServers.start({ users: 20, groups: 0 });
    const connectorId = await rest.connector(scim, USER, PASSWORD);
    const on = await rest.targetStore('react-on');
    const off = await rest.targetStore('react-off');
    // the mapping itself writes accountStatus on every push: a removed record must not get it back by accident
    const identity = (codes: typeof on, reactivateValue?: string) => ({
      templateCode: codes.account,
      folderCode: codes.account,
      unique: { external: 'id', local: 'scimId' },
      attributes: [
        { external: 'userName', local: 'login' },
        { external: 'name.givenName', local: 'firstName' },
        { constant: 'Enabled', local: 'accountStatus' },
      ],
      removal: { enabled: true, statusAttribute: 'accountStatus', removedValue: 'Deleted', ...(reactivateValue ? { reactivateValue } : {}) },
    });
    const common = { mappingsType: 'identityOnly', access: null, filters: { users: 'active eq true' } };
    const taskOn = await rest.task(connectorId, on, { ...common, identity: identity(on, 'Reactivated') });
    const taskOff = await rest.task(connectorId, off, { ...common, identity: identity(off) });
    const user = scim.admin.listUserIds().find((id) => (scim.admin.getUser(id) as { active: boolean }).active)!;
    for (const t of [taskOn, taskOff]) expect(await rest.runToEnd(t)).toMatchObject({ status: 'succeeded' });

    await scim.admin.updateUser(user, { active: false });
    for (const t of [taskOn, taskOff]) expect(await rest.runToEnd(t)).toMatchObject({ status: 'succeeded', stats: { removed: 1 } });
    for (const codes of [on, off]) {
      const [card] = (await rest.datacards({ template: codes.account, status: 'removed' }));
      expect(card).toMatchObject({ uniqueValue: user, attributes: { accountStatus: 'Deleted' } });
    }

    // the user comes back, with a changed name so both tasks push it
    await scim.admin.updateUser(user, { active: true, name: { givenName: 'Back', familyName: 'Again' } });
    const runOn = await rest.runToEnd(taskOn);
    const runOff = await rest.runToEnd(taskOff);
    expect(runOn).toMatchObject({ status: 'succeeded', stats: { updated: 1, removed: 0 } });
    expect(runOff).toMatchObject({ status: 'succeeded', stats: { updated: 1, removed: 0 } });
    expect((await rest.records(runOn.id, 'updated'))[0]).toMatchObject({ uniqueValue: user, message: 'reactivated' });

    const cardOn = (await rest.datacards({ template: on.account })).find((d) => d.uniqueValue === user)!;
    expect(cardOn).toMatchObject({ status: 'active', attributes: { accountStatus: 'Reactivated', firstName: 'Back' } });
    const cardOff = (await rest.datacards({ template: off.account })).find((d) => d.uniqueValue === user)!;
    expect(cardOff).toMatchObject({ status: 'removed', attributes: { accountStatus: 'Deleted', firstName: 'Back' } });

    // reactivation also happens when nothing else changed (the cache alone would call it unchanged)
    await scim.admin.updateUser(user, { active: false });
    await rest.runToEnd(taskOn);
    await scim.admin.updateUser(user, { active: true });
    const again = await rest.runToEnd(taskOn);
    expect(again.stats).toMatchObject({ updated: 1 });
    expect((await rest.datacards({ template: on.account })).find((d) => d.uniqueValue === user)).toMatchObject({ status: 'active' });
    // and the record that stays removed is not pushed again and again
    const offAgain = await rest.runToEnd(taskOff);
    expect(offAgain.stats).toMatchObject({ updated: 0, removed: 0 });
  });
});

describe('per-record outcomes of a run', () => {
  it('unchanged records are only counted: GET /runs/:id/records lists created, updated, removed and failed ones, and nothing for outcome=unchanged', async () => {
    const scim = await scimServers.start({ users: 30, groups: 4, membersPerUser: 1 });
    // unique by externalId: a user without one fails to map, on every run
    const noExternalId = (await scim.admin.addUser({ userName: 'no.external.id', name: { givenName: 'Nobody' } })).id;
    const codes = await rest.targetStore('out');
    const identity = {
      templateCode: codes.account,
      folderCode: codes.account,
      unique: { external: 'externalId', local: 'scimId' },
      attributes: [{ external: 'userName', local: 'login' }],
      removal: { enabled: true, statusAttribute: 'accountStatus', removedValue: 'Deleted' },
    };
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes, { identity });
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded', stats: { created: 34, failed: 1, unchanged: 0 } });

    const users = scim.admin.listUserIds().filter((id) => id !== noExternalId);
    const changed = users.slice(2, 4);
    for (const id of changed) await scim.admin.updateUser(id, { userName: `changed-${id}@example.com` });
    const gone = users[9];
    await scim.admin.deleteUser(gone);
    const added = (await scim.admin.addUser({ userName: 'newcomer', externalId: `ext-newcomer-${randomUUID()}` })).id;

    await rest.settled(taskId);
    const run = await rest.runToEnd(taskId);
    expect(run.status).toBe('succeeded');
    expect(run.stats).toMatchObject({ fetched: 31 + 4, created: 1, removed: 1, failed: 1 });
    expect(run.stats.unchanged).toBeGreaterThan(20);
    expect(run.stats.created + run.stats.updated + run.stats.unchanged + run.stats.failed).toBe(run.stats.fetched);

    expect(await rest.records(run.id, 'unchanged')).toEqual([]);
    const ids = async (outcome: string) => sorted((await rest.records(run.id, outcome)).filter((r) => r.kind === 'identity').map((r) => r.sourceId));
    expect(await ids('created')).toEqual([added]);
    expect(await ids('updated')).toEqual(sorted(changed));
    expect(await ids('removed')).toEqual([gone]);
    expect(await ids('failed')).toEqual([noExternalId]);
    expect((await rest.records(run.id, 'failed'))[0].message).toBe('missing unique attribute "externalId"');

    // unfiltered, the listing holds exactly the records that did something
    const all = await api.http().get(`/api/v1/runs/${run.id}/records?limit=1000`).set(rest.auth()).expect(200);
    const items = all.body.items as Array<{ outcome: string }>;
    expect(items.filter((r) => r.outcome === 'unchanged')).toEqual([]);
    expect(items).toHaveLength(run.stats.created + run.stats.updated + run.stats.removed + run.stats.failed);
  });
});
