/**
 * Makes docs/temporal-ui-runs.png and docs/temporal-ui-run.png: a throw-away stack (embedded
 * PostgreSQL, a Temporal dev server with its UI, the demo SCIM server, the API and a worker, all
 * on free ports), three tasks created and run through the REST API, then headless Chromium
 * photographs the UI's workflow list and one run that is still reading.
 *
 *   npm run docs:screenshots            (needs Chromium: CHROMIUM_PATH, default /usr/bin/chromium)
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { loadConfig } from '../libs/config/src/config';
import { createActivities, createActivityTelemetry } from '../libs/import/src';
import { SecretBox, runMigrations, seedDefaultTargetStore } from '../libs/persistence/src';
import { createApiApp } from '../apps/api/src/create-api-app';
import { createImportWorker } from '../apps/worker/src/import-worker';
import { createApiToken } from '../apps/api/src/auth/api-tokens';
import { startScimDemoServer } from '../apps/scim-demo/src';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { freePort } from './lib/free-port';
import { ensureTemporalCli, startTemporalDevServer } from './lib/temporal-dev-server';

// runs compiled (dist/scripts): the API's dependency injection needs tsc's decorator metadata
const ROOT = resolve(__dirname, '..', '..');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function mapping(kind: 'identity' | 'access') {
  return kind === 'identity'
    ? {
        templateCode: 'account', folderCode: 'accounts', unique: { external: 'id', local: 'scimId' },
        attributes: [{ external: 'userName', local: 'login' }, { external: 'emails[type eq "work"].value', local: 'email' }],
        removal: { enabled: true, statusAttribute: 'accountStatus', removedValue: 'Deleted' },
      }
    : {
        templateCode: 'entitlement', folderCode: 'entitlements', unique: { external: 'id', local: 'scimId' },
        attributes: [{ external: 'displayName', local: 'name' }], members: { local: 'members' },
        removal: { enabled: true, statusAttribute: 'status', removedValue: '5 - Removed' },
      };
}

async function main(): Promise<void> {
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const pgDir = join(ROOT, '.data', `screenshot-pg-${process.pid}`);
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), database: 'scim_import_screens', persistent: false, fast: true });
    stops.push(async () => {
      await pg.stop();
      rmSync(pgDir, { recursive: true, force: true });
    });
    const temporal = await startTemporalDevServer({ cliPath: ensureTemporalCli(ROOT), port: await freePort(), uiPort: await freePort(), namespace: 'default' });
    stops.push(() => temporal.stop());
    const uiUrl = temporal.uiUrl as string;
    await runMigrations(pg.url);

    const config = loadConfig({
      DATABASE_URL: pg.url,
      TEMPORAL_ADDRESS: temporal.address,
      SECRET_KEY: randomBytes(32).toString('base64'),
      TASK_QUEUE: 'scim-import',
      TEMPORAL_UI_URL: uiUrl,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'pretty',
      // its demo SCIM source listens on loopback, which the outbound address rule refuses by default
      OUTBOUND_ALLOWED_NETWORKS: '127.0.0.0/8,::1',
    });
    const api = await createApiApp(config);
    await api.listen(0, '127.0.0.1');
    stops.push(() => api.close());
    const apiUrl = (await api.getUrl()).replace('[::1]', '127.0.0.1');
    const ds = api.get(DataSource);
    await seedDefaultTargetStore(ds);
    const token = (await createApiToken(ds, 'screenshots', 'admin')).token;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };

    const scimAuth = { username: 'demo', password: randomBytes(9).toString('base64url') };
    const scim = await startScimDemoServer({ auth: { basic: scimAuth }, seed: { users: 400, groups: 240, membersPerUser: 3 } });
    stops.push(() => scim.close());

    const workerConnection = await NativeConnection.connect({ address: config.temporalAddress });
    const telemetry = createActivityTelemetry({ dataSource: ds });
    const worker = await createImportWorker({
      config,
      connection: workerConnection,
      workflows: { workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') }) },
      activities: createActivities({ dataSource: ds, secretBox: new SecretBox(config.secretKey), config }),
      interceptors: { activity: [telemetry.interceptors] },
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await workerConnection.close();
    });

    const connector = async (name: string, rateLimitPerSecond?: number) =>
      (await call('POST', '/connectors', { name, baseUrl: scim.url, auth: { type: 'basic', ...scimAuth }, pageSize: 20, rateLimitPerSecond }))
        .id as string;
    const fast = await connector('hr-directory');
    const slow = await connector('hr-directory-throttled', 1);
    const task = async (name: string, connectorId: string, extra: Record<string, unknown>) =>
      (await call('POST', '/tasks', {
        name, connectorId, type: 'full', mappingsType: 'identityAndAccess', schedule: { everyMinutes: 60 },
        failure: { templateCode: 'failure', folderCode: 'failures', attributeCode: 'message' },
        identity: mapping('identity'), access: mapping('access'), ...extra,
      })).id as string;
    const accounts = await task('hr-accounts', fast, { mappingsType: 'identityOnly', access: null });
    const groups = await task('hr-groups', fast, { mappingsType: 'accessOnly', identity: null, type: 'incremental' });
    const everything = await task('hr-everything', slow, {});

    const client = new Client({ connection: await Connection.connect({ address: config.temporalAddress }), namespace: config.temporalNamespace });
    stops.push(() => client.connection.close());
    const waitFor = async (runId: string, done: (run: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 600; i++) {
        const run = await call('GET', `/runs/${runId}`);
        if (done(run)) return run;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`run ${runId} did not get there`);
    };
    for (const id of [accounts, groups]) {
      const run = await call('POST', `/tasks/${id}/runs`, {});
      await waitFor(run.id as string, (r) => r.status !== 'running');
    }
    const live = await call('POST', `/tasks/${everything}/runs`, {});
    const liveRun = await waitFor(live.id as string, (r) => typeof r.temporalUiUrl === 'string' && r.temporalUiUrl.includes('/history'));
    // wait until the workflow shows the second extract: its details then carry the first one's counts
    const workflowId = decodeURIComponent(new URL(liveRun.temporalUiUrl as string).pathname.split('/')[4]);
    for (let i = 0; i < 300; i++) {
      const meta = await client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      if (meta.currentDetails?.includes('extract /Groups')) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    stops.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    // the running run first, while it reads /Groups; a running workflow's page keeps polling, so
    // wait for time rather than network idle (the metadata panes render in frames)
    await page.goto(liveRun.temporalUiUrl as string, { waitUntil: 'load' });
    await page.getByText('User Metadata', { exact: true }).click();
    await page.waitForTimeout(2500);
    await page.screenshot({ path: join(ROOT, 'docs', 'temporal-ui-run.png') });

    await page.goto(`${uiUrl}/namespaces/default/workflows`, { waitUntil: 'load' });
    // the list shows the task name through the ImportTaskName search-attribute column (the browser
    // keeps the choice; docs/operations.md describes the same set-up and a saved view)
    await page.getByTestId('workflows-summary-table-configuration-button').click();
    await page.locator('li:has-text("ImportTaskName") button').first().click();
    for (let i = 0; i < 3; i++) await page.locator('li:has-text("ImportTaskName") button').first().click();
    await page.locator('li:has-text("Run ID") button').last().click();
    await page.reload({ waitUntil: 'load' }); // closes the drawer; the columns stay
    await page.waitForSelector('text=hr-everything', { timeout: 30_000 });
    await page.screenshot({ path: join(ROOT, 'docs', 'temporal-ui-runs.png') });
    process.stdout.write('wrote docs/temporal-ui-runs.png and docs/temporal-ui-run.png\n');
    await waitFor(live.id as string, (r) => r.status !== 'running');
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('screenshots failed:', err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  },
);
