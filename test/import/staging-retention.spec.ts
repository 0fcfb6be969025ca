/**
 * Staging retention (docs/removals-and-retries.md, "Staging retention"): staging is kept while
 * a run could still be resumed and removed once it cannot; the API's periodic sweep removes
 * what crashes left behind. Real PostgreSQL; run rows and staging written as the engine writes them.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/persistence';
import { sweepStaging } from '@app/import';
import { Db } from '@app/persistence';
import { openRunStaging } from '../../libs/persistence/src/staging/staging-partition';
import { startApi } from '../support/api-harness';
import { eventually } from '../support/fixtures';

const HOUR = 3_600_000;
let ds: DataSource;
let db: Db;

beforeAll(async () => {
  ds = createDataSource(loadConfig().databaseUrl, { poolSize: 2 });
  await ds.initialize();
  db = Db.fromDataSource(ds);
});
afterAll(() => ds?.destroy());

/** A run row of a throw-away task: status, and how many hours ago it finished. */
async function run(status: string, finishedHoursAgo: number | null, extra: { resumeRootId?: string; startedHoursAgo?: number } = {}): Promise<string> {
  const started = extra.startedHoursAgo ?? (finishedHoursAgo ?? 0) + 1;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO run (task_id, workflow_id, mode, trigger, status, phase, started_at, finished_at, resume_root_id)
     VALUES ($1, $2, 'full', 'manual', $3, $3, now() - make_interval(secs => $4::float8 * 3600), CASE WHEN $5::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $5::float8 * 3600) END, $6)
     RETURNING id`,
    [randomUUID(), `retention-${randomUUID()}`, status, started, finishedHoursAgo, extra.resumeRootId ?? null],
  );
  return rows[0].id;
}

async function stage(runId: string, n = 3): Promise<void> {
  await openRunStaging(db, runId);
  for (let i = 0; i < n; i++) {
    await db.query(`INSERT INTO staging_record (run_id, resource, source_id, raw) VALUES ($1, 'identity', $2, '{"id":"x"}')`, [runId, `s${i}`]);
  }
}

const staged = async (runId: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM staging_record WHERE run_id = $1`, [runId])).rows[0].n);
const releasedAt = async (runId: string) => (await db.query<{ at: Date | null }>(`SELECT staging_released_at AS at FROM run WHERE id = $1`, [runId])).rows[0].at;

describe('staging retention', () => {
  it('keeps staging while a run can be resumed and removes it once it cannot', async () => {
    const window = 24 * HOUR;
    const running = await run('running', null);
    const failedRecently = await run('failed', 1);
    const failedLongAgo = await run('failed', 30);
    const cancelledRecently = await run('cancelled', 2);
    const cancelledLongAgo = await run('cancelled', 30);
    const succeeded = await run('succeeded', 0.1); // finishRun crashed before it removed its staging
    const terminated = await run('terminated', 0.1);
    const timedOut = await run('timedOut', 0.1);
    const orphan = randomUUID(); // no run row at all
    // a resumed run: staging stays keyed by the root, the newest row of the chain decides
    const rootResuming = await run('failed', 30);
    await run('running', null, { resumeRootId: rootResuming });
    const rootResumedFailedAgain = await run('failed', 40);
    await run('failed', 1, { resumeRootId: rootResumedFailedAgain });
    const all = [running, failedRecently, failedLongAgo, cancelledRecently, cancelledLongAgo, succeeded, terminated, timedOut, orphan, rootResuming, rootResumedFailedAgain];
    for (const id of all) await stage(id);

    await sweepStaging(db, window);

    for (const kept of [running, failedRecently, cancelledRecently, rootResuming, rootResumedFailedAgain]) {
      expect({ run: kept, staged: await staged(kept) }).toEqual({ run: kept, staged: 3 });
      expect(await releasedAt(kept)).toBeNull();
    }
    for (const gone of [failedLongAgo, cancelledLongAgo, succeeded, terminated, timedOut, orphan]) {
      expect({ run: gone, staged: await staged(gone) }).toEqual({ run: gone, staged: 0 });
    }
    for (const gone of [failedLongAgo, cancelledLongAgo, terminated]) expect(await releasedAt(gone)).toBeInstanceOf(Date);

    // a shorter window releases the recent failures too; a running run never loses its staging
    await sweepStaging(db, 0.5 * HOUR);
    expect(await staged(failedRecently)).toBe(0);
    expect(await staged(cancelledRecently)).toBe(0);
    expect(await staged(running)).toBe(3);
    expect(await staged(rootResuming)).toBe(3);
  });

  it('a failed run whose staging was removed can be restarted but not resumed, and says since when', async () => {
    const api = await startApi();
    try {
      const failed = await run('failed', 100);
      await stage(failed, 2);
      await sweepStaging(db, 24 * HOUR);
      const auth = { Authorization: `Bearer ${api.adminToken}` };
      const shown = await api.http().get(`/api/v1/runs/${failed}`).set(auth).expect(200);
      expect(shown.body.stagingReleasedAt).toEqual(expect.any(String));
      const resume = await api.http().post(`/api/v1/runs/${failed}/retry`).set(auth).send({ strategy: 'resume' }).expect(409);
      expect(resume.body.detail).toMatch(/staging of this run was removed after the resume window \(STAGING_RESUME_WINDOW_HOURS\); use strategy "restart"/);
    } finally {
      await api.close();
    }
  });

  it('the API sweeps what a crash left behind when it starts (and every 10 minutes)', async () => {
    const orphan = randomUUID();
    const expired = await run('failed', 100);
    await stage(orphan, 2);
    await stage(expired, 2);
    const api = await startApi();
    try {
      await eventually(async () => (await staged(orphan)) === 0 && (await staged(expired)) === 0, 20_000, 200);
      expect(await releasedAt(expired)).toBeInstanceOf(Date);
    } finally {
      await api.close();
    }
  });
});
