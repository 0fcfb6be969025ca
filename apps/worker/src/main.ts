import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig, orExit } from '@app/config';
import { closePageThreads, ImportMetrics, RUN_DURATION_BUCKETS_SECONDS } from '@app/import';
import { createAppLogger, temporalRuntimeLogger } from '@app/logging';
import { WorkerModule } from './worker.module';
import { buildActivities } from './build-activities';
import { createImportWorker } from './import-worker';

/** `--workflow-bundle <file>` (production image) or the workflows/ sources (dev, tests). */
function workflowSource(argv: string[]): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const i = argv.indexOf('--workflow-bundle');
  if (i >= 0 && argv[i + 1]) {
    const codePath = resolve(argv[i + 1]);
    if (!existsSync(codePath)) throw new Error(`workflow bundle not found: ${codePath}`);
    return { workflowBundle: { codePath } };
  }
  return { workflowsPath: require.resolve('../../../workflows') };
}

async function main(): Promise<void> {
  const config = orExit(() => loadConfig());
  const appLogger = createAppLogger(config);
  Logger.overrideLogger(appLogger);
  const logger = new Logger('worker');
  // one Prometheus endpoint for the SDK's metrics and ours (ImportMetrics uses the runtime's meter)
  const metricsAddress = config.workerMetricsPort > 0 ? `0.0.0.0:${config.workerMetricsPort}` : undefined;
  Runtime.install({
    logger: temporalRuntimeLogger(appLogger),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(metricsAddress && {
        metrics: {
          prometheus: {
            bindAddress: metricsAddress,
            histogramBucketOverrides: { scim_import_run_duration_seconds: RUN_DURATION_BUCKETS_SECONDS },
          },
        },
      }),
    },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
  const metrics = metricsAddress ? new ImportMetrics(Runtime.instance().metricMeter) : undefined;

  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: appLogger });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const { activities, interceptors } = buildActivities(app, { logger: appLogger, metrics });
    const worker = await createImportWorker({ config, connection, activities, interceptors: { activity: [interceptors] }, workflows: workflowSource(process.argv) });
    logger.log(
      `worker polling task queue "${config.taskQueue}" on ${config.temporalAddress} (namespace ${config.temporalNamespace}; ` +
        `up to ${config.workerMaxConcurrentActivities} activities and ${config.workerMaxConcurrentWorkflowTasks} workflow tasks at once)`,
    );
    if (config.workerDeployment) {
      logger.log(`worker version ${config.workerDeployment.deploymentName}.${config.workerDeployment.buildId} (Worker Versioning; runs auto-upgrade to the current version)`);
    }
    if (metricsAddress) logger.log(`worker metrics at http://${metricsAddress}/metrics`);
    logger.log(
      config.workerPageThreads > 0
        ? `list pages are parsed, mapped and hashed on up to ${config.workerPageThreads} worker threads (WORKER_PAGE_THREADS)`
        : 'list pages are parsed, mapped and hashed on the event loop (WORKER_PAGE_THREADS=0)',
    );
    // run() resolves after a SIGINT/SIGTERM-triggered shutdown has drained in-flight tasks
    await worker.run();
    logger.log('worker stopped');
  } finally {
    // the page threads started with the first extract; none is working once run() resolved
    await closePageThreads();
    await connection.close();
    await app.close();
  }
}

main().catch((err: unknown) => {
  // through the application logger once it is installed (JSON in production), Nest's console logger before
  new Logger('worker').fatal(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
