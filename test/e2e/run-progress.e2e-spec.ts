/**
 * A running run's progress and its phases through GET /runs/:id, and the same progress in the
 * Temporal UI's current details, against a slow source (each listing answers after a delay, small
 * pages): the read grows with an expected size (the server's totalResults on a first run, the
 * last complete read when the server announces none) and an estimate; load shows its writes of
 * what diff decided; the progress is gone once the run ended; the phases are its steps in order.
 */
import { randomUUID } from 'node:crypto';
import { useStack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { faultyWorker, noFaults } from '../support/activity-faults';
import { runApi, scimServerPool, type RunBody } from './support/run-api';
import type { RunProgressReport } from '../../libs/temporal/src/contracts';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;
const USERS = 400;
const GROUPS = 5;
/** with the connector's 25 records a page, the Users read takes several seconds */
const LIST_LATENCY_MS = 300;


type ProgressBody = RunBody & {
  progress: RunProgressReport | null;
  phases: Array<{ phase: string; startedAt: string; finishedAt: string | null }>;
};

const faults = noFaults();
const { api, client } = useStack({ taskQueue: uniq('e2e-progress'), config: { runReconcileIntervalMs: 0 }, api: true, worker: faultyWorker(faults) });
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
afterAll(() => scimServers.closeAll());
afterEach(() => {
  faults.reconcileTailMs = 0;
});

const getRun = async (id: string): Promise<ProgressBody> => (await rest.run(id)) as ProgressBody;

/** Every GET /runs/:id answer until the run ended (and the first after), plus the workflow's current details seen while it read Users. */
async function watch(started: RunBody): Promise<{ seen: ProgressBody[]; details: string[] }> {
  const seen: ProgressBody[] = [];
  const details: string[] = [];
  const handle = client.workflow.getHandle(started.workflowId);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const run = await getRun(started.id);
    seen.push(run);
    if (run.status !== 'running') return { seen, details };
    if (run.phase === 'extract') {
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata').catch(() => undefined);
      if (metadata?.currentDetails) details.push(metadata.currentDetails);
    }
    if (Date.now() > deadline) throw new Error('the run did not end within 2 minutes');
    await new Promise((r) => setTimeout(r, 150));
  }
}

const users = (run: ProgressBody) => run.progress?.resources.find((r) => r.resource === 'identity');

describe('run progress', () => {
  it('grows while the run reads, with the expected size, rate and estimate; shows load; ends with the run; the phases are its steps in order', async () => {
    const scim = await scimServers.start({ users: USERS, groups: GROUPS, membersPerUser: 1 });
    const codes = await rest.targetStore('progress');
    const taskId = await rest.task(await rest.connector(scim, USER, PASSWORD), codes);
    scim.setQuirks({ listLatencyMs: LIST_LATENCY_MS });
    // the reconcile step stays open a moment after its work: load's final count shows meanwhile
    faults.reconcileTailMs = 1500;

    const started = await rest.runNow(taskId);
    const { seen, details } = await watch(started);
    const end = seen[seen.length - 1];
    expect(end.status).toBe('succeeded');

    // the read of Users grows over time, against the server's totalResults, with a rate and an estimate
    const reading = seen.filter((r) => r.phase === 'extract' && users(r) && !users(r)!.done && users(r)!.read > 0);
    const reads = reading.map((r) => users(r)!.read);
    expect(new Set(reads).size).toBeGreaterThanOrEqual(2);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    for (const r of reading) {
      expect(users(r)).toMatchObject({ path: '/Users', expected: USERS, expectedFrom: 'totalResults' });
      expect(users(r)!.perSecond).toBeGreaterThan(0);
    }
    expect(reading.some((r) => typeof users(r)!.etaSeconds === 'number' && users(r)!.etaSeconds! > 0)).toBe(true);
    // a bar for Groups shows while Users are read
    expect(reading[0].progress!.resources.map((r) => r.path)).toEqual(['/Users', '/Groups']);
    expect(reading[0].progress!.resources[1]).toMatchObject({ read: 0, done: false });
    // no progress for load before the load step
    expect(reading.every((r) => r.progress!.load === null)).toBe(true);

    // load: written of what diff decided to write, up to all of it
    const loads = seen.flatMap((r) => (r.progress?.load ? [r.progress.load] : []));
    expect(loads.length).toBeGreaterThan(0);
    for (const l of loads) expect(l.written).toBeLessThanOrEqual(l.total);
    expect(loads[loads.length - 1]).toEqual({ written: USERS + GROUPS, total: USERS + GROUPS });
    expect(end.stats.created).toBe(USERS + GROUPS);

    // gone once the run ended
    expect(end.progress).toBeNull();

    // the Temporal UI says the same while the run reads: the read count of Users
    expect(details.some((d) => /\/Users: [\d,]+( of [\d,]+ \(the server's totalResults\))? read/.test(d) && !/\/Users: 0 /.test(d))).toBe(true);

    // the phases: its steps in order, each ending when the next began, the last when the run did
    const phases = end.phases.map((p) => p.phase);
    expect(phases).toEqual(['prepare', 'extract', 'map', 'diff', 'load', 'reconcile', 'finish']);
    const times = end.phases.flatMap((p) => [Date.parse(p.startedAt), Date.parse(p.finishedAt!)]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(end.phases[end.phases.length - 1].finishedAt).toBe(end.finishedAt);
    for (let i = 1; i < end.phases.length; i++) expect(end.phases[i].startedAt).toBe(end.phases[i - 1].finishedAt);

    // a second full run against a server that no longer announces totalResults expects what the first one read
    await rest.settled(taskId);
    scim.setQuirks({ listLatencyMs: LIST_LATENCY_MS, omitTotalResults: true });
    const second = await rest.runNow(taskId, 'full');
    const during = await eventually(async () => {
      const r = await getRun(second.id);
      if (r.status !== 'running') throw new Error(`the second run ended before it was seen reading: ${r.status}`);
      return r.phase === 'extract' && (users(r)?.read ?? 0) > 0 && !users(r)!.done ? r : undefined;
    }, 60_000, 100);
    expect(users(during)).toMatchObject({ expected: USERS, expectedFrom: 'lastRun' });
    expect(during.progress!.resources.find((r) => r.resource === 'access')).toMatchObject({ expected: GROUPS, expectedFrom: 'lastRun' });
    const secondEnd = await rest.waitRun(second.id, undefined, 120_000);
    expect(secondEnd.status).toBe('succeeded');
    expect((await getRun(second.id)).progress).toBeNull();
  }, 300_000);
});
