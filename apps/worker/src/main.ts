import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig, nestLogLevels, orExit } from '@app/config';
import { WorkerModule } from './worker.module';
import { buildActivities } from './build-activities';

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
  const logger = new Logger('worker');
  Runtime.install({
    logger: {
      log: (level, message) => {
        if (level === 'ERROR') logger.error(message);
        else if (level === 'WARN') logger.warn(message);
        else logger.debug(message);
      },
      trace: () => undefined,
      debug: (m) => logger.debug(m),
      info: (m) => logger.debug(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });

  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: nestLogLevels(config.logLevel) });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      activities: buildActivities(app),
      ...workflowSource(process.argv),
      // activities do I/O-bound batch work; a few in parallel keep PostgreSQL busy without starving heartbeats
      maxConcurrentActivityTaskExecutions: 8,
      // cancellation reaches an activity through its heartbeat; keep that under a few seconds
      maxHeartbeatThrottleInterval: '5s',
    });
    logger.log(`worker polling task queue "${config.taskQueue}" on ${config.temporalAddress} (namespace ${config.temporalNamespace})`);
    // run() resolves after a SIGINT/SIGTERM-triggered shutdown has drained in-flight tasks
    await worker.run();
    logger.log('worker stopped');
  } finally {
    await connection.close();
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
