/**
 * The shape scenarios (issue 20): the four classic scenarios use one data shape, and a plan that
 * is good for it may not be for another. Each shape is a first full import of its own source data
 * into a FRESH database (created for it, dropped after it: no tables, no statistics, as a new
 * installation has), with its own API and worker processes and its own lower bound, measured the
 * same way as the classic one (fetch-only + COPY of the cards + COPY of the links of that data):
 *   a. 20,000 users / 2,000 groups with ~30 members each (where a diff plan once flipped), after
 *      a dry run of the same task and the statistics autovacuum would take after it;
 *   b. a few huge groups: 5 groups of 100,000 members each, 100,000 users;
 *   c. users only (an identityOnly task), 100,000 users;
 *   d. generic resources (a generic task), 50,000 devices at /Devices.
 * The report judges each against the 100k first import (scenario 1): no shape's ratio to its own
 * bound may be more than 2x scenario 1's ratio to its bound (targets.ts).
 */
import { Client } from 'pg';
import { DEVICE_FOLDER, DEVICE_TEMPLATE, benchConnector, benchTask, type BenchMappings } from './bench-task';
import { Cleanup } from './cleanup';
import { BenchDataSet } from './data-generator';
import { FixtureScimServer } from './fixture-scim-server';
import { ImportApi } from './import-api';
import type { FetchOnlyInput } from './fetch-only-worker';
import { importFetchConcurrency, mappedAttributes, observedListingQuery } from './import-request';
import { measureImportRequest, measureLowerBounds, type LowerBounds } from './lower-bounds';
import type { BenchOptions, ShapeId } from './options';
import { RssSampler, readRssBytes } from './process-sampler';
import { addImportRequestRatios, measureRun, type RunResult } from './scenarios';
import { createFreshDatabase, dropDatabase, prepareDatabase, startImportApps } from './stack';
import type { ShapeBarCheck } from './targets';

export interface ShapeSpec {
  id: ShapeId;
  name: string;
  users: number;
  groups: number;
  membershipsPerUser: number;
  devices: number;
  mappingsType: BenchMappings;
  /** the SCIM paths the task reads; the fetch-only bound reads the same */
  paths: string[];
  /** groups with more members than this are listed without them (read with GET /Groups/{id}) */
  maxMembersInListing?: number;
  /**
   * Before the measured import: a dry run of the same task (an operator's first step), then
   * ANALYZE, as autovacuum does within a minute of the dry run's staged rows. In a database that
   * never took statistics the planner sizes staging from its pages and plans well; it is the
   * statistics of an earlier run that make it estimate one row for a new run id (issue 20).
   */
  dryRunFirst?: boolean;
}

/** Counts scaled by --shape-scale (1 in every result meant for comparison). */
export function shapeSpec(id: ShapeId, scale = 1): ShapeSpec {
  const n = (count: number) => Math.max(1, Math.round(count * scale));
  switch (id) {
    case 'a':
      return {
        id,
        name: 'first import, 20k users / 2k groups (~30 members), fresh database',
        users: n(20_000),
        groups: n(2_000),
        // 3 memberships per user over 2,000 groups: 30 members per group
        membershipsPerUser: 3,
        devices: 0,
        mappingsType: 'identityAndAccess',
        paths: ['/Users', '/Groups'],
        dryRunFirst: true,
      };
    case 'b':
      return {
        id,
        name: 'first import, 5 groups of 100k members, fresh database',
        users: n(100_000),
        groups: 5,
        // every user in every group
        membershipsPerUser: 5,
        devices: 0,
        mappingsType: 'identityAndAccess',
        paths: ['/Users', '/Groups'],
        // five such groups in one listing page would be ~85 MB; the source lists them without members
        maxMembersInListing: 10_000,
      };
    case 'c':
      return {
        id,
        name: 'first import, users only (identityOnly), fresh database',
        users: n(100_000),
        groups: 0,
        membershipsPerUser: 0,
        devices: 0,
        mappingsType: 'identityOnly',
        paths: ['/Users'],
      };
    case 'd':
      return {
        id,
        name: 'first import, generic /Devices (generic task), fresh database',
        users: 0,
        groups: 0,
        membershipsPerUser: 0,
        devices: n(50_000),
        mappingsType: 'generic',
        paths: ['/Devices'],
      };
  }
}

/** `20000 users, 2000 groups (3 memberships/user)`, for tables and logs. */
export function describeShapeData(s: Pick<ShapeSpec, 'users' | 'groups' | 'membershipsPerUser' | 'devices'>): string {
  const parts: string[] = [];
  if (s.users) parts.push(`${s.users} users`);
  if (s.groups) parts.push(`${s.groups} groups (${s.membershipsPerUser} memberships/user)`);
  if (s.devices) parts.push(`${s.devices} devices`);
  return parts.join(', ');
}

export interface ShapeResult {
  id: ShapeId;
  name: string;
  spec: ShapeSpec;
  /** the fresh database it ran in (dropped afterwards) */
  database: string;
  /** this shape's own bound: fetch-only + cards COPY + links COPY of its data */
  lowerBounds?: LowerBounds;
  /** the worker's RSS once started, before the run */
  workerRssAtStartBytes?: number;
  /** the dry run before the measured import (spec.dryRunFirst), and the ANALYZE after it */
  dryRun?: { runId: string; status: string; wallMs: number; stats: RunResult['stats']; analyzeMs: number };
  run?: RunResult;
  /** the bar against the 100k first import, set by the report */
  bar?: ShapeBarCheck;
  /** set when the shape could not be measured (a process died, the bound failed, ...) */
  error?: string;
}

export interface ShapeContext {
  opts: BenchOptions;
  root: string;
  /** the private copy of dist/ (undefined for a --lower-bounds-only run from sources) */
  buildRoot?: string;
  logDir: string;
  /** the benchmark's cluster (its default database's URL); the shape gets a database of its own there */
  clusterUrl: string;
  /** the shared Temporal dev server; undefined with --lower-bounds-only */
  temporalAddress?: string;
  auth: { username: string; password: string };
  /** the benchmark's cleanup: runs the shape's own cleanup if the benchmark stops during the shape */
  cleanup: Cleanup;
  log: (line: string) => void;
}

const MB = 2 ** 20;

/** Measures one shape start to end; a failure is recorded in the result, not thrown, so the next shape still runs. */
export async function runShape(id: ShapeId, ctx: ShapeContext): Promise<ShapeResult> {
  const { opts, log } = ctx;
  const spec = shapeSpec(id, opts.shapeScale);
  const database = `bench_shape_${id}_${process.pid}`;
  const result: ShapeResult = { id, name: spec.name, spec, database };
  const session = new Cleanup();
  ctx.cleanup.add(`shape ${id}`, () => session.run(log));
  log(`shape ${id}: ${spec.name}: ${describeShapeData(spec)}`);
  try {
    const dataSet = new BenchDataSet({ users: spec.users, groups: spec.groups, membershipsPerUser: spec.membershipsPerUser, devices: spec.devices, seed: opts.seed });
    const source = await FixtureScimServer.start({ dataSet, ...ctx.auth, maxMembersInListing: spec.maxMembersInListing });
    session.add(`shape ${id} fixture SCIM source`, () => source.close());
    const databaseUrl = await createFreshDatabase(ctx.clusterUrl, database);
    // registered before the processes: cleanup runs newest first, so the database goes after them
    session.add(`shape ${id} database`, () => dropDatabase(ctx.clusterUrl, database));

    const fetch: FetchOnlyInput = { baseUrl: source.url, ...ctx.auth, pageSize: opts.pageSize, paths: spec.paths, concurrency: importFetchConcurrency() };
    const lb = await measureLowerBounds({
      fetch,
      databaseUrl,
      dataSet,
      repeats: opts.lowerBoundRepeats,
      buildRoot: ctx.buildRoot,
    });
    result.lowerBounds = lb;
    if (opts.fetchAttributes === 'mapped') {
      const mapped = mappedAttributes(benchTask('bench', 'bench', spec.mappingsType));
      lb.importRequest = await measureImportRequest(lb, mapped, 'mapped', { fetch, repeats: opts.lowerBoundRepeats, buildRoot: ctx.buildRoot });
    }
    log(
      `  bound ${(lb.boundMs / 1000).toFixed(2)} s: fetch-only ${(lb.fetchOnly.ms / 1000).toFixed(2)} s (${lb.fetchOnly.pages} pages, ${(lb.fetchOnly.bytes / MB).toFixed(0)} MB), ` +
        `cards COPY ${(lb.loadOnly.ms / 1000).toFixed(2)} s (${lb.loadOnly.rows} rows), links COPY ${(lb.loadOnly.linksMs / 1000).toFixed(2)} s (${lb.loadOnly.links} rows)`,
    );
    if (opts.lowerBoundsOnly) return result;
    if (!ctx.buildRoot || !ctx.temporalAddress) throw new Error('shape scenarios need a build and Temporal');

    await prepareDatabase(databaseUrl, opts, (line) => log(`  ${line}`));
    const apps = await startImportApps({
      root: ctx.root,
      buildRoot: ctx.buildRoot,
      databaseUrl,
      temporalAddress: ctx.temporalAddress,
      logDir: ctx.logDir,
      workerNodeArgs: opts.profileWorker ? ['--cpu-prof', `--cpu-prof-dir=${ctx.logDir}`] : [],
      suffix: `shape-${id}`,
      register: (name, stop, kill) => session.add(name, stop, kill),
    });
    const rss = new RssSampler(apps.worker.pid);
    rss.start();
    result.workerRssAtStartBytes = readRssBytes(apps.worker.pid);
    session.add(`shape ${id} RSS sampler`, () => Promise.resolve(rss.stop()));
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    session.add(`shape ${id} metrics connection`, () => db.end());

    const api = new ImportApi(apps.apiUrl, apps.apiToken);
    if (spec.mappingsType === 'generic') {
      await api.createTemplate(DEVICE_TEMPLATE);
      await api.createFolder(DEVICE_FOLDER);
    }
    const connectorId = await api.createConnector(
      benchConnector({ baseUrl: source.url, username: ctx.auth.username, password: ctx.auth.password, pageSize: opts.pageSize }),
    );
    const taskId = await api.createTask(benchTask(connectorId, `bench-shape-${id}-${process.pid}`, spec.mappingsType));
    const abort = Promise.race([apps.api.exited, apps.worker.exited]);
    abort.catch(() => undefined);
    const runTimeoutMs = opts.runTimeoutMinutes * 60_000;

    if (spec.dryRunFirst) {
      log('  dry run of the task first, then ANALYZE (what autovacuum does after it)');
      const started = performance.now();
      const queued = await api.runNow(taskId, undefined, { dryRun: true });
      const { run: dry, timedOut } = await api.waitForRun(queued.id, { since: started, timeoutMs: runTimeoutMs, intervalMs: 100, abort });
      const wallMs = performance.now() - started;
      if (timedOut || dry.status !== 'succeeded') {
        if (timedOut) await api.cancelRun(dry.id).catch(() => undefined);
        throw new Error(`the dry run before the import ${timedOut ? 'timed out' : dry.status}: ${JSON.stringify(dry.error ?? dry.stats)}`);
      }
      const analyzeStarted = performance.now();
      await db.query('ANALYZE');
      result.dryRun = { runId: dry.id, status: dry.status, wallMs, stats: dry.stats, analyzeMs: performance.now() - analyzeStarted };
      log(`  dry run ${dry.status} in ${(wallMs / 1000).toFixed(1)} s: ${JSON.stringify(dry.stats)}; ANALYZE ${(result.dryRun.analyzeMs / 1000).toFixed(1)} s`);
    }

    const want = dataSet.liveUserCount + dataSet.groupCount + dataSet.deviceCount;
    const run = await measureRun(
      { api, taskId, source, db, rss, lowerBounds: lb, runTimeoutMs, abort, log },
      {
        id,
        name: spec.name,
        expect: (r) => {
          const out: string[] = [];
          if (r.stats.created !== want) out.push(`created ${r.stats.created}, expected ${want}`);
          if (r.stats.updated !== 0) out.push(`updated ${r.stats.updated} in a first import, expected 0`);
          if (r.stats.failed !== 0) out.push(`${r.stats.failed} records failed, expected 0`);
          return out;
        },
      },
    );
    result.run = run;
    if (!lb.importRequest && run.status === 'succeeded') {
      // fetch-only of what the import asked this source for (the same as full records until it projects)
      lb.importRequest = await measureImportRequest(lb, observedListingQuery(run.listingRequests, spec.paths), 'observed', {
        fetch,
        repeats: opts.lowerBoundRepeats,
        buildRoot: ctx.buildRoot,
      });
      addImportRequestRatios(run, lb);
    }
    if (run.status === 'timed out' && run.runId) {
      // the run is cancelled and its database dropped (ending any statement still running), so nothing of it reaches the next shape
      await api.cancelRun(run.runId).catch((err: unknown) => log(`  cancelling run ${run.runId} failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  shape ${id} FAILED: ${result.error}`);
  } finally {
    await session.run(log);
  }
  return result;
}
