/**
 * Each run stages into a partition of its own (libs/persistence/src/staging/staging-partition.ts),
 * dropped when the run ends; a complete full run keeps its partition as the task's seen set until
 * the next one. Through the REST API with the real worker: a partition that disappears while a
 * resume is pending is detected and the source read again, and repeated runs leave nothing behind
 * but the seen set.
 */
import { randomUUID } from 'node:crypto';
import { useStack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { faultyWorker, noFaults } from '../support/activity-faults';
import { runApi, scimServerPool, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;

const faults = noFaults();
const { api } = useStack({ taskQueue: uniq('e2e-staging-partitions'), api: true, worker: faultyWorker(faults) });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
afterAll(() => scimServers.closeAll());
afterEach(() => {
  Object.assign(faults, noFaults());
});

/** The work run ids (what staging is keyed by) of the task's runs that have a staging partition attached, and their row counts. */
async function partitionsOf(taskId: string): Promise<Record<string, number>> {
  const rows: Array<{ run_id: string; n: string }> = await api.ds.query(
    `SELECT w.work_id::text AS run_id,
            (xpath('/table/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, false, '')))[1]::text AS n
       FROM (SELECT DISTINCT COALESCE(resume_root_id, id) AS work_id FROM run WHERE task_id = $1) w
       JOIN pg_class c ON c.relname = 'staging_run_' || replace(w.work_id::text, '-', '')
       JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'staging_record'::regclass`,
    [taskId],
  );
  return Object.fromEntries(rows.map((r) => [r.run_id, Number(r.n)]));
}

/** Bytes (heap, TOAST, indexes) of the staging partitions of the task's runs. */
async function stagingBytesOf(taskId: string): Promise<number> {
  const rows: Array<{ n: string | null }> = await api.ds.query(
    `SELECT sum(pg_total_relation_size(c.oid)) AS n
       FROM (SELECT DISTINCT COALESCE(resume_root_id, id) AS work_id FROM run WHERE task_id = $1) w
       JOIN pg_class c ON c.relname = 'staging_run_' || replace(w.work_id::text, '-', '')`,
    [taskId],
  );
  return Number(rows[0].n ?? 0);
}

/** Whether any table (attached or not) is left for the run's staging. */
async function stagingTableExists(runId: string): Promise<boolean> {
  const rows: Array<{ n: string }> = await api.ds.query(`SELECT count(*) AS n FROM pg_class WHERE relname = $1`, [`staging_run_${runId.replace(/-/g, '')}`]);
  return Number(rows[0].n) > 0;
}

describe('a staging partition dropped while a resume is pending', () => {
  it('the resumed run finds its staging gone, reads the source again and ends with the target of an uninterrupted run', async () => {
    const scim = await scimServers.start({ users: 30, groups: 4, membersPerUser: 2 });
    const connectorId = await rest.connector(scim, USER, PASSWORD);
    // the same source imported twice: task A is interrupted, task B (its own target store) is not
    const codesA = await rest.targetStore('part-a');
    const codesB = await rest.targetStore('part-b');
    const taskA = await rest.task(connectorId, codesA);
    const taskB = await rest.task(connectorId, codesB);
    expect(await rest.runToEnd(taskA)).toMatchObject({ status: 'succeeded', stats: { created: 34 } });
    expect(await rest.runToEnd(taskB)).toMatchObject({ status: 'succeeded', stats: { created: 34 } });

    // the source changes: two users leave, three change, one joins
    const ids = scim.admin.listUserIds();
    for (const id of ids.slice(0, 2)) await scim.admin.deleteUser(id);
    for (const id of ids.slice(2, 5)) await scim.admin.updateUser(id, { displayName: `Changed ${id}` });
    await scim.admin.addUser({ userName: `joiner-${randomUUID()}@example.com`, name: { givenName: 'New', familyName: 'Joiner' }, active: true });

    const clean = await rest.runToEnd(taskB);
    expect(clean).toMatchObject({ status: 'succeeded', stats: { created: 1, updated: 3, removed: 2, failed: 0 } });

    faults.loadOutages = 1;
    const failed = await rest.runToEnd(taskA);
    expect(failed).toMatchObject({ status: 'failed', error: { type: 'SimulatedOutage' } });
    expect(await partitionsOf(taskA)).toMatchObject({ [failed.id]: 33 });

    // the partition goes while the staging marker stays: only the partition says the staging is lost
    const partition = `staging_run_${failed.id.replace(/-/g, '')}`;
    await api.ds.query(`ALTER TABLE staging_record DETACH PARTITION ${partition}`);
    await api.ds.query(`DROP TABLE ${partition}`);
    const markers: Array<{ n: string }> = await api.ds.query(`SELECT count(*) AS n FROM staging_marker WHERE run_id = $1`, [failed.id]);
    expect(Number(markers[0].n)).toBe(1);

    const requestsBefore = scim.requestCount();
    await rest.settled(taskA);
    const retry = await rest.post(`/api/v1/runs/${failed.id}/retry`, { strategy: 'resume' });
    expect(retry.status).toBe(202);
    const done = await rest.waitRun((retry.body as RunBody).id);
    expect(done).toMatchObject({ status: 'succeeded', stats: { fetched: 33, created: 1, updated: 3, removed: 2, failed: 0 } });
    // the source was read again (a resume from load would not list anything)
    expect(scim.requestCount()).toBeGreaterThan(requestsBefore);
    expect(done.notes.join('\n')).toMatch(/reads its source again/);

    const removedA = (await rest.datacards({ template: codesA.account })).filter((d) => d.status === 'removed');
    expect(removedA).toHaveLength(2);
    expect(await rest.target(codesA)).toEqual(await rest.target(codesB));
    // the run that finished keeps its partition as the seen set; nothing else of task A is left
    await eventually(async () => Object.keys(await partitionsOf(taskA)).join() === failed.id, 20_000, 100);
  });
});

describe('repeated runs', () => {
  it('leave no staging partition behind but the seen set of the latest complete full run', async () => {
    const scim = await scimServers.start({ users: 40, groups: 5, membersPerUser: 2 });
    const codes = await rest.targetStore('part-rep');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
    const onlySeenSetOf = async (run: RunBody, rows: number) => {
      await eventually(async () => {
        const left = await partitionsOf(taskId);
        if (JSON.stringify(left) !== JSON.stringify({ [run.id]: rows })) throw new Error(`staging partitions of the task: ${JSON.stringify(left)}`);
        return true;
      }, 20_000, 100);
    };

    // a first import: its seen set is what failed alone (nothing), the created rows are gone
    const first = await rest.runToEnd(taskId);
    expect(first).toMatchObject({ status: 'succeeded', stats: { created: 45 } });
    await onlySeenSetOf(first, 0);

    // no-change full re-runs: each keeps its unchanged ids, the one before it is dropped whole
    const runs: RunBody[] = [first];
    const bytes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await rest.runToEnd(taskId);
      expect(run).toMatchObject({ status: 'succeeded', stats: { unchanged: 45, created: 0, updated: 0 } });
      await onlySeenSetOf(run, 45);
      runs.push(run);
      bytes.push(await stagingBytesOf(taskId));
    }
    // the staging a no-change re-run leaves is its seen set alone, the same size each time
    expect(bytes[2]).toBeLessThanOrEqual(bytes[0]);
    for (const old of runs.slice(0, -1)) expect(await stagingTableExists(old.id)).toBe(false);

    // a dry run keeps no seen set: its partition goes, the full run's stays
    const dry = await rest.waitRun((await rest.runNow(taskId, 'full', true)).id);
    expect(dry).toMatchObject({ status: 'succeeded', dryRun: true, stats: { unchanged: 45 } });
    await onlySeenSetOf(runs[runs.length - 1], 45);
    await eventually(async () => !(await stagingTableExists(dry.id)), 20_000, 100);
  });
});
