/**
 * `npm run bench -- --users 100000 --groups 10000`: starts a fixture SCIM source, embedded
 * PostgreSQL, a Temporal dev server, and the API and worker from dist/ (built by `npm run
 * build`, which `npm run bench` runs first); runs the shape scenarios (shapes.ts: each with its
 * own source, fresh database, processes and bound), then measures the lower bounds of the classic
 * source and runs the four classic scenarios; writes bench/results/latest.json and prints
 * markdown tables. Everything it started is stopped at the end, on failure and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { benchConnector, benchTask } from './bench-task';
import { Cleanup } from './cleanup';
import { formatProfileSummary, summarizeCpuProfile, type ProfileSummary } from './cpu-profile-summary';
import { BenchDataSet } from './data-generator';
import { FixtureScimServer } from './fixture-scim-server';
import { ImportApi } from './import-api';
import { statementTimes } from './statement-times';
import type { FetchOnlyInput } from './fetch-only-worker';
import { describeConcurrency, describeListingQuery, importFetchConcurrency, mappedAttributes, observedListingQuery } from './import-request';
import { measureImportRequest, measureLowerBounds, type LowerBounds } from './lower-bounds';
import { parseOptions, type BenchOptions, type ScenarioId } from './options';
import { RssSampler, readRssBytes } from './process-sampler';
import { environmentInfo, judgeShapes, markdown, targetsReport, writeReport, type BenchReport } from './report';
import { addImportRequestRatios, runNoChangeRepeats, runScenario, type NoChangeRepeats, type ScenarioResult } from './scenarios';
import { runShape, type ShapeResult } from './shapes';
import { prepareDatabase, projectRoot, snapshotBuild, startBenchPostgres, startBenchTemporal, startImportApps, type BenchTemporal } from './stack';

const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const MB = 2 ** 20;
/** the fixture source's basic-auth credentials, fresh per run */
const sourceAuth = { username: 'bench', password: randomBytes(12).toString('base64url') };

function openLog(dir: string, name: string): WriteStream {
  return createWriteStream(join(dir, `${name}.log`));
}

/** Average serialised size of a sample of records, for the report. */
function averageSizes(ds: BenchDataSet): { user: number; group: number } {
  const avg = (n: number, size: (k: number) => number) => {
    const step = Math.max(1, Math.floor(n / 200));
    let total = 0;
    let count = 0;
    for (let k = 0; k < n; k += step, count++) total += size(k);
    return count ? Math.round(total / count) : 0;
  };
  return {
    user: avg(ds.liveUserCount, (k) => ds.userJson(ds.liveUserIndexes(k, 1)[0]).length),
    group: avg(ds.groupCount, (g) => ds.groupJson(g).length),
  };
}

/** Scenarios 2-4 re-import what scenario 1 imported, so 1 always runs first. */
function scenarioOrder(requested: ScenarioId[]): ScenarioId[] {
  return [...new Set<ScenarioId>([1, ...requested])];
}

interface Run {
  opts: BenchOptions;
  root: string;
  /** the private copy of dist/ the processes run from (see snapshotBuild) */
  buildRoot: string;
  logDir: string;
  cleanup: Cleanup;
}

/** The Temporal dev server the classic scenarios and every shape share (each pair of processes has its own task queue). */
async function startTemporal({ root, logDir, cleanup }: Run): Promise<BenchTemporal> {
  const temporalLog = openLog(logDir, 'temporal');
  cleanup.add('temporal log', () => new Promise((r) => temporalLog.end(r)));
  log('starting the Temporal dev server ...');
  const temporal = await startBenchTemporal(root, temporalLog);
  cleanup.add('Temporal dev server', () => temporal.stop(), () => temporal.kill());
  return temporal;
}

/** The classic source's paths, read by the bench task and by fetch-only. */
const CLASSIC_PATHS = ['/Users', '/Groups'];

/** Logs the import's-request fetch-only once measured. */
function logImportRequest(lb: LowerBounds): void {
  const ir = lb.importRequest;
  if (!ir) return;
  log(
    ir.sameAsFull
      ? `fetch-only of the import's request (${ir.from}): full records, the same as fetch-only`
      : `fetch-only of the import's request (${ir.from}: ${describeListingQuery(ir.listingQuery, CLASSIC_PATHS)}) ` +
          `${(ir.fetchOnly.ms / 1000).toFixed(2)} s (${(ir.fetchOnly.bytes / MB).toFixed(0)} MB); bound with it ${(ir.boundMs / 1000).toFixed(2)} s`,
  );
}

async function runScenarios(
  { opts, root, buildRoot, logDir, cleanup }: Run,
  temporal: BenchTemporal,
  source: FixtureScimServer,
  databaseUrl: string,
  lowerBounds: LowerBounds,
  fetchInput: FetchOnlyInput,
  results: ScenarioResult[],
  onWorkerStarted: (rssBytes: number) => void,
  onRepeats: (repeats: NoChangeRepeats) => void,
): Promise<void> {
  await prepareDatabase(databaseUrl, opts, log);
  if (opts.explainSlowMs !== undefined) log(`plans of statements slower than ${opts.explainSlowMs} ms go to ${join(logDir, 'postgres.log')}`);

  log('starting the API and the worker from dist/ ...');
  const workerNodeArgs = opts.profileWorker ? ['--cpu-prof', `--cpu-prof-dir=${logDir}`] : [];
  const apps = await startImportApps({
    root,
    buildRoot,
    databaseUrl,
    temporalAddress: temporal.address,
    logDir,
    workerNodeArgs,
    register: (name, stop, kill) => cleanup.add(name, stop, kill),
  });
  log(`API at ${apps.apiUrl}, worker pid ${apps.worker.pid}`);

  const rss = new RssSampler(apps.worker.pid);
  rss.start();
  // what the worker holds before any run: the part of its peak that does not depend on the data
  onWorkerStarted(readRssBytes(apps.worker.pid) ?? 0);
  cleanup.add('RSS sampler', () => Promise.resolve(rss.stop()));
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  cleanup.add('metrics connection', () => db.end());

  const api = new ImportApi(apps.apiUrl, apps.apiToken);
  const connectorId = await api.createConnector({
    ...benchConnector({ baseUrl: source.url, username: sourceAuth.username, password: sourceAuth.password, pageSize: opts.pageSize }),
    attributeProjection: opts.attributeProjection,
  });
  const taskId = await api.createTask(benchTask(connectorId, `bench-${opts.users}-${process.pid}`));
  const abort = Promise.race([apps.api.exited, apps.worker.exited]);
  abort.catch(() => undefined);

  const ctx = { api, taskId, source, db, rss, lowerBounds, runTimeoutMs: opts.runTimeoutMinutes * 60_000, abort, log };
  for (const id of scenarioOrder(opts.scenarios)) {
    const result = await runScenario(id, ctx);
    results.push(result);
    if (result.status !== 'succeeded') {
      log(`scenario ${id} did not succeed; the later scenarios build on it, so the benchmark stops here`);
      throw new Error(result.error ?? `scenario ${id} ${result.status}`);
    }
    if (id === 1 && !lowerBounds.importRequest) {
      // what the import asked the source for in its first run: the second fetch-only asks the same
      const asked = observedListingQuery(result.listingRequests, CLASSIC_PATHS);
      lowerBounds.importRequest = await measureImportRequest(lowerBounds, asked, 'observed', { fetch: fetchInput, repeats: opts.lowerBoundRepeats, buildRoot });
      logImportRequest(lowerBounds);
      addImportRequestRatios(result, lowerBounds);
    }
    if (id === 2 && opts.repeatNoChange > 0) {
      const repeats = await runNoChangeRepeats(opts.repeatNoChange, result, ctx);
      onRepeats(repeats);
      const failed = repeats.runs.find((r) => r.status !== 'succeeded');
      if (failed) throw new Error(failed.error ?? `scenario 2 repeat ${failed.repeat} ${failed.status}`);
    }
  }
}

async function main(): Promise<number> {
  const root = projectRoot();
  let opts: BenchOptions;
  try {
    opts = parseOptions(process.argv.slice(2), join(root, 'bench', 'results', 'latest.json'));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const cleanup = new Cleanup();
  cleanup.onSignals(log);
  const logDir = join(root, '.data', `bench-logs-${process.pid}`);
  mkdirSync(logDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const results: ScenarioResult[] = [];
  const shapes: ShapeResult[] = [];
  let workerRssAtStartBytes: number | undefined;
  const profiles: ProfileSummary[] = [];
  let lowerBounds: LowerBounds | undefined;
  let noChangeRepeats: NoChangeRepeats | undefined;
  let error: string | undefined;
  let sizes = { user: 0, group: 0 };

  try {
    // a run from sources (tsx) measuring only the lower bounds needs no build
    const fromSources = __filename.endsWith('.ts');
    let buildRoot: string | undefined;
    if (!(fromSources && opts.lowerBoundsOnly)) {
      const build = snapshotBuild(root);
      cleanup.add('build snapshot', () => Promise.resolve(build.remove()), () => build.remove());
      buildRoot = build.root;
      if (opts.profileWorker) {
        // runs after the worker has exited (and written its profile), before the copy and its source maps go
        cleanup.add('worker CPU profile summary', () => {
          for (const f of readdirSync(logDir).filter((n) => n.endsWith('.cpuprofile'))) {
            const summary = summarizeCpuProfile(join(logDir, f), { root, buildRoot: build.root });
            profiles.push(summary);
            writeFileSync(join(logDir, `${f}.txt`), `${formatProfileSummary(summary)}\n`);
          }
          return Promise.resolve();
        });
      }
    }
    const dataSet = new BenchDataSet({ users: opts.users, groups: opts.groups, membershipsPerUser: opts.membershipsPerUser, seed: opts.seed });
    const source = await FixtureScimServer.start({ dataSet, ...sourceAuth });
    cleanup.add('fixture SCIM source', () => source.close());
    sizes = averageSizes(dataSet);
    log(`fixture SCIM source at ${source.url}: ${opts.users} users (~${sizes.user} B), ${opts.groups} groups (~${sizes.group} B)`);

    const pgLog = openLog(logDir, 'postgres');
    cleanup.add('postgres log', () => new Promise((r) => pgLog.end(r)));
    log(`starting embedded PostgreSQL (${opts.fastPostgres ? 'fsync off' : 'durable'}) ...`);
    const pg = await startBenchPostgres(root, { fast: opts.fastPostgres, log: pgLog });
    cleanup.add('PostgreSQL', () => pg.stop(), () => pg.kill());

    const run: Run | undefined = buildRoot ? { opts, root, buildRoot, logDir, cleanup } : undefined;
    if (!opts.lowerBoundsOnly && !run) throw new Error('scenarios need a build: run `npm run bench` (it builds first)');
    const temporal = opts.lowerBoundsOnly || !run ? undefined : await startTemporal(run);

    // the shapes first: each drops its database when done, so the classic scenarios then run in a
    // cluster holding only their own data, as before the shapes existed
    for (const id of opts.shapes) {
      shapes.push(
        await runShape(id, { opts, root, buildRoot, logDir, clusterUrl: pg.url, temporalAddress: temporal?.address, auth: sourceAuth, cleanup, log }),
      );
    }

    const fetchInput: FetchOnlyInput = { baseUrl: source.url, ...sourceAuth, pageSize: opts.pageSize, paths: CLASSIC_PATHS, concurrency: importFetchConcurrency() };
    log(`measuring the lower bounds (fetch-only with the import's concurrency: ${describeConcurrency(fetchInput.concurrency)}) ...`);
    lowerBounds = await measureLowerBounds({
      fetch: fetchInput,
      databaseUrl: pg.url,
      dataSet,
      repeats: opts.lowerBoundRepeats,
      buildRoot,
    });
    if (opts.fetchAttributes === 'mapped') {
      const mapped = mappedAttributes(benchTask('bench', 'bench'));
      lowerBounds.importRequest = await measureImportRequest(lowerBounds, mapped, 'mapped', { fetch: fetchInput, repeats: opts.lowerBoundRepeats, buildRoot });
    }
    log(
      `fetch-only ${(lowerBounds.fetchOnly.ms / 1000).toFixed(2)} s (${lowerBounds.fetchOnly.pages} pages, ${(lowerBounds.fetchOnly.bytes / MB).toFixed(0)} MB); ` +
        `cards COPY ${(lowerBounds.loadOnly.ms / 1000).toFixed(2)} s (${lowerBounds.loadOnly.rows} rows); links COPY ${(lowerBounds.loadOnly.linksMs / 1000).toFixed(2)} s; ` +
        `bound ${(lowerBounds.boundMs / 1000).toFixed(2)} s, old bound ${(lowerBounds.oldBoundMs / 1000).toFixed(2)} s`,
    );
    logImportRequest(lowerBounds);

    if (run && temporal && !opts.lowerBoundsOnly) {
      await runScenarios(
        run,
        temporal,
        source,
        pg.url,
        lowerBounds,
        fetchInput,
        results,
        (rss) => (workerRssAtStartBytes = rss),
        (r) => (noChangeRepeats = r),
      );
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    log(`FAILED: ${error}`);
  }

  log('stopping everything the benchmark started ...');
  await cleanup.run(log);

  const shapeRuns = shapes.flatMap((s) => (s.run ? [s.run] : []));
  if (opts.statementTimes && results.length + shapeRuns.length > 0) {
    const runs = [...results, ...(noChangeRepeats?.runs ?? []), ...shapeRuns];
    const windows = runs.map((r) => ({ from: Date.parse(r.startedAt), to: Date.parse(r.finishedAt) }));
    statementTimes(join(logDir, 'postgres.log'), windows, root).forEach((times, k) => (runs[k].dbStatements = times));
  }
  judgeShapes(shapes, results);

  if (lowerBounds) {
    const { output, ...shown } = opts;
    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      options: shown,
      environment: environmentInfo(!opts.fastPostgres, loadAtStart),
      source: { users: opts.users, groups: opts.groups, memberships: opts.membershipsPerUser, userJsonBytesAvg: sizes.user, groupJsonBytesAvg: sizes.group },
      lowerBounds,
      workerRssAtStartBytes,
      scenarios: results,
      ...(noChangeRepeats ? { noChangeRepeats } : {}),
      ...(shapes.length ? { shapes } : {}),
      ...(profiles.length ? { workerProfiles: profiles } : {}),
      targets: targetsReport(results, shapes, noChangeRepeats),
      ...(error ? { error } : {}),
    };
    writeReport(output, report);
    process.stdout.write(`\n${markdown(report)}\n\n`);
    for (const p of profiles) process.stdout.write(`${formatProfileSummary(p)}\n\n`);
    log(`report written to ${output}`);
  }

  const warned = [...results, ...(noChangeRepeats?.runs ?? [])].some((r) => r.warnings.length > 0) || shapes.some((s) => s.error !== undefined || (s.run?.warnings.length ?? 0) > 0);
  if (error || warned || opts.keepLogs || profiles.length > 0 || opts.explainSlowMs !== undefined || opts.statementTimes) {
    log(`logs${profiles.length ? ' and worker CPU profiles' : ''} kept in ${logDir}`);
  } else {
    rmSync(logDir, { recursive: true, force: true });
  }
  return error ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[bench] unexpected failure:', err);
    process.exit(1);
  },
);
