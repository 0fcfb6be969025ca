import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../../libs/config/src/config';
import { createDataSource } from '../../libs/persistence/src/data-source';
import { createPingActivities } from '../../apps/worker/src/ping.activities';
import { createImportWorker } from '../../apps/worker/src/import-worker';

const config = loadConfig();
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // built once per file, as every workflow test does
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/ping.workflow.ts'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
});

test('a workflow with one activity runs through the real dev server and database', async () => {
  const ds = createDataSource(config.databaseUrl, { poolSize: 2 });
  await ds.initialize();
  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const taskQueue = `ping-${randomUUID()}`;
  try {
    const worker = await createImportWorker({
      config: { ...config, taskQueue },
      connection: nativeConnection,
      workflows: { workflowBundle: bundle },
      activities: createPingActivities({ dataSource: ds }),
    });
    const result = await worker.runUntil(
      client.workflow.execute('pingWorkflow', { args: ['hello'], taskQueue, workflowId: `ping-${randomUUID()}` }),
    );
    expect(result).toMatch(/^pong: hello \(database time \d{4}-\d\d-\d\dT/);
  } finally {
    await connection.close();
    await nativeConnection.close();
    await ds.destroy();
  }
});
