/**
 * Worker sizing (issue 21, scale-out): how throughput changes with the number of worker processes
 * on one task queue and with WORKER_MAX_CONCURRENT_ACTIVITIES. For each configuration it creates a
 * fresh database in an embedded PostgreSQL, starts the API and N workers from dist/ (each with its
 * own metrics port), and measures through the REST API:
 *
 * - many: 20 tasks of their own 1,000-user sources (100 groups, 2 memberships per user), started
 *   at once; wall from the first run-now until the last run finished
 * - one: a single task of a 20,000-user source (2,000 groups), first import (after `many` in the
 *   same database, or first with --one-first); its phases from GET /runs/:id
 *
 * and each worker's peak RSS and activities executed (from its /metrics).
 *
 *   npm run build && npm run build:workflows
 *   node dist/bench/workers.js [--configs 1x8,2x8,1x16,2x4] [--many 20] [--many-users 1000] [--one-users 20000] [--one-first] [--explain-slow-ms 2000] [--json out.json]
 *
 * `AxB` is A worker processes with WORKER_MAX_CONCURRENT_ACTIVITIES=B. Results are printed as a
 * markdown table (docs/operations.md, "Scaling out workers", quotes one run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchConnector, benchTask } from './bench-task';
import { Cleanup } from './cleanup';
import { BenchDataSet } from './data-generator';
import { FixtureScimServer } from './fixture-scim-server';
import { ImportApi, type RunView } from './import-api';
import { readRssBytes } from './process-sampler';
import { createFreshDatabase, dropDatabase, prepareDatabase, projectRoot, snapshotBuild, startBenchPostgres, startBenchTemporal } from './stack';
import { freePort } from '../scripts/lib/free-port';
import { WORKER_NODE_FLAGS } from '../apps/worker/src/node-flags';

const log = (line: string) => process.stdout.write(`[workers] ${line}\n`);
const MB = 2 ** 20;
const auth = { username: 'bench', password: randomBytes(12).toString('base64url') };

interface Options {
  configs: Array<{ workers: number; activities: number }>;
  many: number;
  manyUsers: number;
  oneUsers: number;
  /** which scenario runs first in each configuration's fresh database */
  oneFirst: boolean;
  /** auto_explain of statements slower than this into postgres.log of the log directory */
  explainSlowMs?: number;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { configs: [], many: 20, manyUsers: 1000, oneUsers: 20_000, oneFirst: false };
  let configs = '1x8,2x8,1x16,2x4';
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const n = (v: string) => {
      if (!/^\d+$/.test(v)) throw new Error(`not a number: ${v}`);
      return Number(v);
    };
    switch (argv[i]) {
      case '--configs': configs = value(); break;
      case '--many': opts.many = n(value()); break;
      case '--many-users': opts.manyUsers = n(value()); break;
      case '--one-users': opts.oneUsers = n(value()); break;
      case '--one-first': opts.oneFirst = true; break;
      case '--explain-slow-ms': opts.explainSlowMs = n(value()); break;
      case '--json': opts.json = value(); break;
      default: throw new Error(`unknown flag ${argv[i]}`);
    }
  }
  opts.configs = configs.split(',').map((c) => {
    const m = /^(\d+)x(\d+)$/.exec(c.trim());
    if (!m) throw new Error(`--configs: "${c}" is not <workers>x<activities>`);
    return { workers: Number(m[1]), activities: Number(m[2]) };
  });
  return opts;
}

interface Proc {
  name: string;
  child: ChildProcess;
  metricsPort?: number;
  peakRss: number;
}

/** Starts a dist/ entry point, output to <logDir>/<name>.log; resolves once `ready` appears in it. */
function startProcess(root: string, buildRoot: string, name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string, ready: RegExp, cleanup: Cleanup): Promise<Proc> {
  const out: WriteStream = createWriteStream(join(logDir, `${name}.log`));
  const child = spawn(process.execPath, args.map((a) => (a.startsWith('dist/') ? join(buildRoot, a) : a)), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { name, child, peakRss: 0 };
  cleanup.add(
    name,
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(timer);
          out.end();
          resolve();
        });
        child.kill('SIGTERM');
      }),
    () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  );
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${name} not ready within 180 s (see ${join(logDir, `${name}.log`)})`)), 180_000);
    const onData = (chunk: Buffer) => {
      out.write(chunk);
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (ready.test(seen)) {
        clearTimeout(timer);
        seen = '';
        resolve(proc);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}); see ${join(logDir, `${name}.log`)}`)));
  });
}

async function activitiesExecuted(w: Proc): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^temporal_activity_execution_latency_count\{[^}]*\} (\S+)$/gm)) n += Number(m[1]);
  return n;
}

interface ScenarioResult {
  records: number;
  wallS: number;
  recordsPerS: number;
  /** activities each worker executed in this scenario */
  activitiesPerWorker: number[];
  peakRssMbPerWorker: number[];
  /** seconds per phase, of a single run */
  phases?: Record<string, number>;
  runs: Array<Pick<RunView, 'status' | 'stats'>>;
}

interface ConfigResult {
  workers: number;
  activities: number;
  many: ScenarioResult;
  one: ScenarioResult;
}

async function measure(api: ImportApi, workers: Proc[], taskIds: string[], records: number): Promise<ScenarioResult> {
  for (const w of workers) w.peakRss = 0;
  const sampler = setInterval(() => {
    for (const w of workers) w.peakRss = Math.max(w.peakRss, readRssBytes(w.child.pid as number) ?? 0);
  }, 250);
  const before = await Promise.all(workers.map(activitiesExecuted));
  const started = performance.now();
  const runs = await Promise.all(taskIds.map((id) => api.runNow(id)));
  const marks: Array<{ phase: string; atMs: number }> = [];
  const finished = await Promise.all(
    runs.map(async (r) => {
      for (;;) {
        const run = await api.getRun(r.id);
        const phase = run.phase ?? run.status;
        if (runs.length === 1 && marks[marks.length - 1]?.phase !== phase) marks.push({ phase, atMs: performance.now() - started });
        if (run.status !== 'running') return run;
        await new Promise((res) => setTimeout(res, runs.length === 1 ? 100 : 200));
      }
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  const phases = marks.length > 1 ? Object.fromEntries(marks.slice(0, -1).map((m, i) => [m.phase, Math.round((marks[i + 1].atMs - m.atMs) / 100) / 10])) : undefined;
  clearInterval(sampler);
  // the SDK's counters are exported a moment after an activity completes
  await new Promise((r) => setTimeout(r, 1500));
  const after = await Promise.all(workers.map(activitiesExecuted));
  for (const run of finished) {
    if (run.status !== 'succeeded') throw new Error(`run ${run.id} ended ${run.status}: ${JSON.stringify(run.error)}`);
  }
  const created = finished.reduce((n, r) => n + r.stats.created, 0);
  if (created !== records) throw new Error(`expected ${records} records created, got ${created}`);
  return {
    records,
    wallS: Math.round(wallS * 10) / 10,
    recordsPerS: Math.round(records / wallS),
    activitiesPerWorker: after.map((a, i) => a - before[i]),
    peakRssMbPerWorker: workers.map((w) => Math.round(w.peakRss / MB)),
    phases,
    runs: finished.map((r) => ({ status: r.status, stats: r.stats })),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  const logDir = join(root, '.data', `bench-workers-logs-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  log(`process logs in ${logDir}`);
  const cleanup = new Cleanup();
  cleanup.onSignals(log);
  const build = snapshotBuild(root);
  cleanup.add('build copy', () => Promise.resolve(build.remove()));
  const bundle = join(build.root, 'dist', 'workflow-bundle.js');
  if (!existsSync(bundle)) throw new Error('dist/workflow-bundle.js is missing: run `npm run build:workflows` first');
  const results: ConfigResult[] = [];
  try {
    log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const pg = await startBenchPostgres(root, { fast: false, log: createWriteStream(join(logDir, 'postgres.log')) });
    cleanup.add('postgres', () => pg.stop(), () => pg.kill());
    const temporal = await startBenchTemporal(root, createWriteStream(join(logDir, 'temporal.log')));
    cleanup.add('temporal', () => temporal.stop(), () => temporal.kill());

    // sources: `many` small ones (distinct seeds, so distinct ids) and one large one, shared by every configuration
    const small: FixtureScimServer[] = [];
    for (let i = 0; i < opts.many; i++) {
      const ds = new BenchDataSet({ users: opts.manyUsers, groups: Math.max(1, opts.manyUsers / 10), membershipsPerUser: 2, seed: 1000 + i });
      small.push(await FixtureScimServer.start({ dataSet: ds, ...auth }));
    }
    const large = await FixtureScimServer.start({
      dataSet: new BenchDataSet({ users: opts.oneUsers, groups: Math.max(1, opts.oneUsers / 10), membershipsPerUser: 2, seed: 7 }),
      ...auth,
    });
    cleanup.add('sources', async () => {
      for (const s of [...small, large]) await s.close();
    });
    const manyRecords = small.reduce((n, s) => n + s.dataSet.liveUserCount + s.dataSet.groupCount, 0);
    const oneRecords = large.dataSet.liveUserCount + large.dataSet.groupCount;

    for (const [k, config] of opts.configs.entries()) {
      const label = `${config.workers}x${config.activities}`;
      log(`configuration ${label}: ${config.workers} worker process(es), WORKER_MAX_CONCURRENT_ACTIVITIES=${config.activities}; fresh database`);
      const database = `bench_workers_${process.pid}_${k}`;
      const databaseUrl = await createFreshDatabase(pg.url, database);
      await prepareDatabase(databaseUrl, { statementTimes: false, explainSlowMs: opts.explainSlowMs }, log);
      const apiPort = await freePort();
      const apiToken = `sit_bench_${randomBytes(24).toString('base64url')}`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporal.address,
        SECRET_KEY: randomBytes(32).toString('base64'),
        API_TOKEN: apiToken,
        API_PORT: String(apiPort),
        TASK_QUEUE: `bench-workers-${process.pid}-${k}`,
        LOG_LEVEL: 'log',
        LOG_FORMAT: 'json',
        OUTBOUND_ALLOWED_NETWORKS: '127.0.0.0/8,::1',
        WORKER_MAX_CONCURRENT_ACTIVITIES: String(config.activities),
      };
      const procs: Proc[] = [];
      const api = await startProcess(root, build.root, `api-${label}`, ['dist/apps/api/src/main.js'], env, logDir, /API listening on/, cleanup);
      procs.push(api);
      const workers = await Promise.all(
        Array.from({ length: config.workers }, async (_, i) => {
          const metricsPort = await freePort();
          const w = await startProcess(
            root,
            build.root,
            `worker-${label}-${i + 1}`,
            [...WORKER_NODE_FLAGS, 'dist/apps/worker/src/main.js', '--workflow-bundle', bundle],
            { ...env, WORKER_METRICS_PORT: String(metricsPort) },
            logDir,
            /worker polling task queue/,
            cleanup,
          );
          w.metricsPort = metricsPort;
          return w;
        }),
      );
      procs.push(...workers);
      const rest = new ImportApi(`http://127.0.0.1:${apiPort}`, apiToken);
      // every task writes into the seeded account/entitlement templates: the sources' ids are distinct
      const manyTasks: string[] = [];
      for (const [i, s] of small.entries()) {
        const connectorId = await rest.createConnector({ ...benchConnector({ baseUrl: s.url, ...auth, pageSize: 200 }), name: `small-${i}` });
        manyTasks.push(await rest.createTask(benchTask(connectorId, `small-${i}`)));
      }
      const largeConnector = await rest.createConnector({ ...benchConnector({ baseUrl: large.url, ...auth, pageSize: 200 }), name: 'large' });
      const largeTask = await rest.createTask(benchTask(largeConnector, 'large'));

      const runMany = async () => {
        const r = await measure(rest, workers, manyTasks, manyRecords);
        log(`  ${opts.many} tasks x ${opts.manyUsers} users at once: ${r.wallS} s (${r.recordsPerS} records/s); activities per worker ${r.activitiesPerWorker.join('/')}; peak RSS ${r.peakRssMbPerWorker.join('/')} MB`);
        return r;
      };
      const runOne = async () => {
        const r = await measure(rest, workers, [largeTask], oneRecords);
        log(`  1 task x ${opts.oneUsers} users: ${r.wallS} s (${r.recordsPerS} records/s); phases ${JSON.stringify(r.phases)}; activities per worker ${r.activitiesPerWorker.join('/')}; peak RSS ${r.peakRssMbPerWorker.join('/')} MB`);
        return r;
      };
      let many: ScenarioResult;
      let one: ScenarioResult;
      if (opts.oneFirst) {
        one = await runOne();
        many = await runMany();
      } else {
        many = await runMany();
        one = await runOne();
      }
      results.push({ ...config, many, one });

      // this configuration's processes go before the next one starts on its own database
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
              p.child.once('exit', () => resolve());
              p.child.kill('SIGTERM');
            }),
        ),
      );
      await dropDatabase(pg.url, database);
    }

    const lines = [
      `| workers x activities | ${opts.many} tasks x ${opts.manyUsers} users at once | records/s | 1 task x ${opts.oneUsers} users | records/s | activities per worker (many / one) | peak RSS per worker MB (many / one) |`,
      '| --- | ---: | ---: | ---: | ---: | --- | --- |',
      ...results.map(
        (r) =>
          `| ${r.workers} x ${r.activities} | ${r.many.wallS} s | ${r.many.recordsPerS} | ${r.one.wallS} s | ${r.one.recordsPerS} | ${r.many.activitiesPerWorker.join('/')} / ${r.one.activitiesPerWorker.join('/')} | ${r.many.peakRssMbPerWorker.join('/')} / ${r.one.peakRssMbPerWorker.join('/')} |`,
      ),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
    if (opts.json) {
      writeFileSync(opts.json, `${JSON.stringify({ machine: { cores: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) }, opts, results }, null, 2)}\n`);
      log(`wrote ${opts.json}`);
    }
  } finally {
    await cleanup.run(log);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
