/**
 * Extract resumes where it stopped: from the database checkpoint after a reset (no heartbeat
 * details) and from the heartbeat details after an activity retry. Activities are called
 * directly (outside a worker) and through MockActivityEnvironment.
 */
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities, type ImportActivities } from '@app/import';
import { ScimClient } from '@app/scim';
import type { ExtractResult } from '@app/temporal';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { identityAndAccessConfig, insertConnector, insertTask, seedTargetStore } from './support/import-fixtures';

const SUFFIX = randomBytes(4).toString('hex');
const AUTH = { username: 'svc-import', password: `pw-${randomBytes(8).toString('hex')}` };

let config: AppConfig;
let ds: DataSource;
let server: ScimDemoServer;
let activities: ImportActivities;
let connectorId: string;
let taskConfig: ReturnType<typeof identityAndAccessConfig>;
/** URLs of the listing pages the SCIM client requested (its debug log names each request). */
const pageRequests: string[] = [];

beforeAll(async () => {
  config = loadConfig();
  ds = createDataSource(config.databaseUrl, { poolSize: 3 });
  await ds.initialize();
  const box = new SecretBox(config.secretKey);
  const codes = await seedTargetStore(ds, SUFFIX);
  server = await startScimDemoServer({ auth: { basic: AUTH }, seed: { users: 50, groups: 0 } });
  connectorId = await insertConnector(ds, box, { baseUrl: server.url, ...AUTH, pageSize: 10 });
  taskConfig = identityAndAccessConfig(codes, { access: null });
  activities = createActivities({
    dataSource: ds,
    secretBox: box,
    config,
    scimClientFactory: (cfg) =>
      new ScimClient(cfg, {
        logger: {
          debug: (_msg, meta) => {
            const url = (meta as { url?: string } | undefined)?.url;
            // every page of the listing, projected (attributes=) or not; the tail check's sorted reads apart
            const query = url && /\/Users\?/.test(url) ? new URL(url).searchParams : undefined;
            if (query?.has('startIndex') && !query.has('sortBy')) pageRequests.push(query.get('startIndex') ?? '');
          },
          warn: () => undefined,
        },
      }),
  });
});

afterAll(async () => {
  await server?.close();
  await ds?.destroy();
});

/** An index position after `pages` pages of 10 (the shape libs/scim heartbeats). */
function positionAfter(pages: number) {
  return { method: 'index', startIndex: pages * 10 + 1, pages, received: pages * 10, lastTotal: 50, maxTotal: 50, duplicates: 0, rejected: 0, filteredOut: 0 };
}

/** Rewinds a finished extract to "N pages done", as a crash after page N would have left it. */
async function rewindTo(runId: string, pages: number): Promise<void> {
  const keep = server.admin.listUserIds().slice(0, pages * 10);
  await ds.query(`DELETE FROM staging_record WHERE run_id = $1 AND NOT (source_id = ANY($2))`, [runId, keep]);
  await ds.query(`UPDATE run_extract SET done = false, pages = $2, fetched = $3, position = $4 WHERE run_id = $1`, [
    runId, pages, pages * 10, JSON.stringify(positionAfter(pages)),
  ]);
}

async function staged(runId: string): Promise<string[]> {
  const rows: Array<{ source_id: string }> = await ds.query(`SELECT source_id FROM staging_record WHERE run_id = $1 ORDER BY 1`, [runId]);
  return rows.map((r) => r.source_id);
}

it('resumes from the database checkpoint after a reset, reading only the pages left', async () => {
  const taskId = await insertTask(ds, { connectorId, mappingsType: 'identityOnly', config: taskConfig });
  const plan = await activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-db`, 'r1');
  const full = await activities.extract(plan.runId, 'identity');
  expect(full).toMatchObject({ fetched: 50, complete: true });
  const all = await staged(plan.runId);

  await rewindTo(plan.runId, 2);
  pageRequests.length = 0;
  const resumed = await activities.extract(plan.runId, 'identity');
  expect(pageRequests).toEqual(['21', '31', '41']);
  expect(resumed).toMatchObject({ fetched: 50, complete: true });
  expect(await staged(plan.runId)).toEqual(all);
  // only extract ran: close the run without declaring it done
  await activities.cancelRun(plan.runId);
});

it('resumes from heartbeat details after a retry when they are further on than the checkpoint', async () => {
  const taskId = await insertTask(ds, { connectorId, mappingsType: 'identityOnly', config: taskConfig });
  const plan = await activities.prepareRun({ taskId, trigger: 'manual' }, `import-task-${taskId}-hb`, 'r2');
  await activities.extract(plan.runId, 'identity');
  const all = await staged(plan.runId);
  // the database says 1 page, the last heartbeat of the failed attempt says 3
  await rewindTo(plan.runId, 3);
  await ds.query(`UPDATE run_extract SET pages = 1, position = $2 WHERE run_id = $1`, [plan.runId, JSON.stringify(positionAfter(1))]);

  const env = new MockActivityEnvironment({
    attempt: 2,
    heartbeatDetails: { resource: 'identity', position: positionAfter(3), pages: 3, fullRead: true },
  });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  pageRequests.length = 0;
  const resumed = await env.run<[string, 'identity'], ExtractResult, ImportActivities['extract']>(activities.extract, plan.runId, 'identity');
  expect(pageRequests).toEqual(['31', '41']);
  expect(resumed.complete).toBe(true);
  expect(await staged(plan.runId)).toEqual(all);
  // heartbeats carry a position, never records or secrets
  expect(JSON.stringify(beats)).not.toMatch(/userName|password/);
  expect(beats.length).toBeGreaterThan(0);
  // only extract ran: close the run without declaring it done
  await activities.cancelRun(plan.runId);
});
