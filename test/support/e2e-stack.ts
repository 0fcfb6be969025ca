/**
 * The stack an integration or end-to-end test runs against, started with one call and closed with
 * one: the configuration (the suite's PostgreSQL and Temporal, the test's own task queue), a
 * DataSource and a Temporal client, and as the test asks the real API, an in-process worker
 * (startWorker: createImportWorker with the real activities), the production workflow bundle in a
 * file for worker processes, and a demo SCIM server. stop() closes what was started, the last
 * started first, so nothing is closed while something started after it still uses it.
 * useStack gives a test file its stack, started before its tests and stopped after them.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '@app/config';
import { createDataSource } from '@app/persistence';
import { TEMPORAL_CLIENT } from '@app/temporal';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { startApi, type ApiHarness } from './api-harness';
import { buildWorkflowBundle, startWorker, type RunningWorker, type TestWorkerOptions } from './worker-harness';
import { workerChildArgs, type WorkerChildOptions } from './worker-child';
import { endWorkerProcess, spawnWorkerProcess, type WorkerProcessOptions } from './worker-process';

export interface StackOptions {
  /** the task queue of the stack's API and workers: a test's own, so files running in parallel never share work (default: the suite's) */
  taskQueue?: string;
  /** configuration the test changes (a dedicated database, a short preview timeout, another Temporal server) */
  config?: Partial<AppConfig>;
  /** the real API (the production factory); the stack's DataSource and Temporal client are then the API's */
  api?: boolean | { logger?: false | LoggerService };
  /** pool size of the stack's own DataSource when there is no API (default 3) */
  poolSize?: number;
  /** the Temporal client connects on its first call, not at start (a test that starts its own Temporal server afterwards) */
  lazyClient?: boolean;
  /** an in-process worker on the stack's task queue; a function gets the stack (its DataSource) first */
  worker?: boolean | TestWorkerOptions | ((stack: Stack) => TestWorkerOptions);
  /** the production workflow bundle written to a file, for worker processes */
  bundleFile?: boolean;
  /** a demo SCIM server with basic auth */
  scim?: { auth: { username: string; password: string }; seed: { users: number; groups: number; membersPerUser?: number } };
}

export interface Stack {
  readonly config: AppConfig;
  readonly ds: DataSource;
  readonly client: Client;
  /** the API (throws when the stack was started without one; likewise worker, bundle, bundlePath, scim) */
  readonly api: ApiHarness;
  readonly worker: RunningWorker;
  readonly bundle: WorkflowBundleWithSourceMap;
  readonly bundlePath: string;
  readonly scim: ScimDemoServer;
  /** Another in-process worker on the stack's queue and DataSource (and bundle unless given), stopped by stop(). */
  startWorker(options?: TestWorkerOptions, bundle?: WorkflowBundleWithSourceMap): Promise<RunningWorker>;
  /**
   * A worker process, by default test/support/worker-child.ts on the stack's task queue and bundle
   * file (`child` adds its options); resolves once it polls. stop() ends it if it still runs:
   * SIGKILL, or with `stopGraceMs` a SIGTERM first (see endWorkerProcess).
   */
  spawnWorker(options?: Partial<WorkerProcessOptions> & { child?: Partial<WorkerChildOptions>; stopGraceMs?: number }): Promise<ChildProcess>;
  /** Work for stop() before it closes what started earlier (the last added is done first): a test's own servers. */
  onStop(close: () => unknown): void;
  /** Kills the worker processes left, then closes everything else, the last started first; a second call waits for the first. */
  stop(): Promise<void>;
}

/** Starts what `options` asks for; on a failure closes what had started and throws. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const closers: Array<() => unknown> = [];
  const processes = new Set<ChildProcess>();
  const graceOf = new WeakMap<ChildProcess, number | undefined>();
  let stopped: Promise<void> | undefined;
  const parts: {
    config?: AppConfig;
    ds?: DataSource;
    client?: Client;
    api?: ApiHarness;
    worker?: RunningWorker;
    bundle?: WorkflowBundleWithSourceMap;
    bundlePath?: string;
    scim?: ScimDemoServer;
  } = {};
  const part = <K extends keyof typeof parts>(key: K): NonNullable<(typeof parts)[K]> => {
    const value = parts[key];
    if (value === undefined) throw new Error(`this stack was started without ${key}: ask startStack for it`);
    return value;
  };

  const stack: Stack = {
    get config() {
      return part('config');
    },
    get ds() {
      return part('ds');
    },
    get client() {
      return part('client');
    },
    get api() {
      return part('api');
    },
    get worker() {
      return part('worker');
    },
    get bundle() {
      return part('bundle');
    },
    get bundlePath() {
      return part('bundlePath');
    },
    get scim() {
      return part('scim');
    },
    async startWorker(workerOptions = {}, bundle = part('bundle')) {
      const worker = await startWorker(part('config'), part('ds'), bundle, workerOptions);
      closers.push(() => worker.stop());
      return worker;
    },
    async spawnWorker({ child, stopGraceMs, ...processOptions } = {}) {
      const started = await spawnWorkerProcess({
        args: processOptions.args ?? workerChildArgs({ taskQueue: part('config').taskQueue, bundlePath: part('bundlePath'), ...child }),
        ready: /^ready$/,
        registry: processes,
        ...processOptions,
      });
      graceOf.set(started, stopGraceMs);
      return started;
    },
    onStop(close) {
      closers.push(close);
    },
    stop() {
      stopped ??= (async () => {
        // worker processes first: they may use anything else the stack holds
        await Promise.all([...processes].map((child) => endWorkerProcess(child, graceOf.get(child))));
        // one failed close does not keep the others open; the first failure is reported after them
        const failures: unknown[] = [];
        for (const close of closers.splice(0).reverse()) await Promise.resolve().then(close).catch((err: unknown) => failures.push(err));
        if (failures.length) throw failures[0];
      })();
      return stopped;
    },
  };

  try {
    const needsBundle = !!options.worker || !!options.bundleFile;
    // the bundle builds while the API or the connections start
    const bundling = needsBundle ? buildWorkflowBundle() : undefined;
    bundling?.catch(() => undefined);
    const overrides: Partial<AppConfig> = { ...options.config, ...(options.taskQueue ? { taskQueue: options.taskQueue } : {}) };
    if (options.api) {
      const api = await startApi(overrides, typeof options.api === 'object' ? (options.api.logger ?? false) : false);
      closers.push(() => api.close());
      parts.api = api;
      parts.config = api.config;
      parts.ds = api.ds;
      parts.client = api.app.get<Client>(TEMPORAL_CLIENT);
    } else {
      const config = { ...loadConfig(), ...overrides };
      parts.config = config;
      const ds = createDataSource(config.databaseUrl, { poolSize: options.poolSize ?? 3 });
      await ds.initialize();
      closers.push(() => ds.destroy());
      parts.ds = ds;
      const connection = options.lazyClient ? Connection.lazy({ address: config.temporalAddress }) : await Connection.connect({ address: config.temporalAddress });
      closers.push(() => connection.close());
      parts.client = new Client({ connection, namespace: config.temporalNamespace });
    }
    if (bundling) parts.bundle = await bundling;
    if (options.bundleFile) {
      const path = join(tmpdir(), `workflow-bundle-${randomUUID()}.js`);
      writeFileSync(path, part('bundle').code);
      closers.push(() => rmSync(path, { force: true }));
      parts.bundlePath = path;
    }
    if (options.scim) {
      const scim = await startScimDemoServer({ auth: { basic: options.scim.auth }, seed: options.scim.seed });
      closers.push(() => scim.close());
      parts.scim = scim;
    }
    if (options.worker) {
      const workerOptions = typeof options.worker === 'function' ? options.worker(stack) : options.worker === true ? {} : options.worker;
      parts.worker = await stack.startWorker(workerOptions);
    }
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/**
 * The stack of a test file: started in beforeAll, stopped in afterAll. It is named at the top of
 * the file (`const { api, client } = useStack({ ... })`): each part stands for the started
 * stack's part and forwards every use to it, so hooks and tests use the parts directly
 * (bundlePath, a string, is read as `stack.bundlePath` where it is used). Hooks the file adds
 * itself run after the stack's (afterAll: after it stopped).
 */
export function useStack(options: StackOptions, startTimeoutMs = 180_000): Stack {
  let started: Stack | undefined;
  beforeAll(async () => {
    started = await startStack(options);
  }, startTimeoutMs);
  afterAll(() => started?.stop());
  const current = (): Stack => {
    if (!started) throw new Error('the stack starts in beforeAll: use it in hooks and tests');
    return started;
  };
  return {
    config: late(() => current().config),
    ds: late(() => current().ds),
    client: late(() => current().client),
    api: late(() => current().api),
    worker: late(() => current().worker),
    bundle: late(() => current().bundle),
    get bundlePath() {
      return current().bundlePath;
    },
    scim: late(() => current().scim),
    startWorker: (...args) => current().startWorker(...args),
    spawnWorker: (...args) => current().spawnWorker(...args),
    onStop: (close) => current().onStop(close),
    stop: () => current().stop(),
  };
}

/** An object that forwards every use to `target()`, asked for at each use (methods are called on the target). */
function late<T extends object>(target: () => T): T {
  return new Proxy({} as T, {
    get(_, key) {
      const object = target();
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor(_, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
