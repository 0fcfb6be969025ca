import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '@app/config';
import { createDataSource, SecretBox } from '@app/persistence';
import { createActivities, type ImportActivities } from '@app/import';
import { startScimDemoServer, type ScimDemoServer } from '../../../apps/scim-demo/src';
import type { ResourceKind } from '@app/temporal';

/** What a spec that calls the import activities directly (in workflow order, outside a worker) works with. */
export interface ActivityHarness {
  config: AppConfig;
  ds: DataSource;
  box: SecretBox;
  server: ScimDemoServer;
  activities: ImportActivities;
}

/**
 * Registers the spec's beforeAll/afterAll: the real PostgreSQL of the test run, a demo SCIM server
 * with `users` users (basic auth) and the import activities. The returned object is filled in
 * beforeAll.
 */
export function useActivityHarness(auth: { username: string; password: string }, users: number): ActivityHarness {
  const h = {} as ActivityHarness;
  beforeAll(async () => {
    h.config = loadConfig();
    h.ds = createDataSource(h.config.databaseUrl, { poolSize: 3 });
    await h.ds.initialize();
    h.box = new SecretBox(h.config.secretKey);
    h.server = await startScimDemoServer({ auth: { basic: auth }, seed: { users, groups: 0 } });
    h.activities = createActivities({ dataSource: h.ds, secretBox: h.box, config: h.config });
  });
  afterAll(async () => {
    await h.server?.close();
    await h.ds?.destroy();
  });
  return h;
}

/** Extract (every resource of the plan), map (until done) and diff of a prepared run, in workflow order. */
export async function extractMapDiff(activities: ImportActivities, plan: { runId: string; resources: Array<{ kind: ResourceKind }> }): Promise<void> {
  for (const r of plan.resources) await activities.extract(plan.runId, r.kind);
  for (let cursor = {}; ; ) {
    const m = await activities.map(plan.runId, cursor);
    if (m.done) break;
    cursor = { afterKey: m.afterKey };
  }
  await activities.diff(plan.runId);
}
