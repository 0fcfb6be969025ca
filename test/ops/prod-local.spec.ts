/**
 * `npm run prod:local` for real: the launcher (dist/scripts/prod-local.js) in its own process on
 * free ports, with the real Temporal server on embedded PostgreSQL, the UI server, the migration
 * job, the API and two workers. An import through the REST API from a demo SCIM source, during
 * which the Temporal server is killed (SIGKILL) and started again by the launcher, still succeeds
 * with every record once; Ctrl-C (SIGTERM) then stops every process.
 *
 * Needs the binaries of scripts/ensure-temporal-server.sh (CI builds them before `npm test`; here
 * they are built on first use, which takes many minutes cold) and dist/ (`npm run build`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import type { ApiHarness } from '../support/api-harness';
import { eventually } from '../support/fixtures';
import { runApi, scimServerPool, type RunApi } from '../e2e/support/run-api';
import { freePort } from '../../scripts/lib/free-port';
import { composeAppEnvironment } from '../../scripts/lib/prod-local';

const ROOT = resolve(__dirname, '..', '..');
const DATA = join(ROOT, '.data', `prod-local-test-${process.pid}`);
const AUTH = { username: 'svc-prod-local', password: `pw-${randomBytes(10).toString('hex')}` };
const USERS = 600;
const GROUPS = 20;

const pool = scimServerPool(AUTH.username, AUTH.password);
let launcher: ChildProcess | undefined;
let launcherExit: Promise<number | null> | undefined;
const output: string[] = [];
let api: RunApi;
let apiUrl: string;
let workerMetrics: string[] = [];
let temporalAddress: string;

/** Resolves once the Temporal frontend answers a real call (not only accepts connections). */
async function temporalAnswers(timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      const connection = await Connection.connect({ address: temporalAddress, connectTimeout: 1000 }).catch(() => undefined);
      if (!connection) return false;
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } catch {
        return false;
      } finally {
        await connection.close();
      }
    },
    timeoutMs,
    100,
  );
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids the launcher reported for `name` (`[prod] <name> started (pid N)`), oldest first. */
function pids(name: string): number[] {
  const re = new RegExp(`^\\[prod\\] ${name}(?: server)? started \\(pid (\\d+)\\)`);
  return output.flatMap((line) => {
    const m = re.exec(line);
    return m ? [Number(m[1])] : [];
  });
}

const line = (prefix: string): string | undefined => output.find((l) => l.startsWith(prefix));

/** dist/ is what the launcher runs; compiled again (without emptying dist/) when older than its sources. */
function ensureDist(): void {
  const built = join(ROOT, 'dist', 'scripts', 'prod-local.js');
  const sources = ['scripts/prod-local.ts', 'scripts/lib/prod-local.ts', 'scripts/lib/launcher.ts', 'scripts/lib/supervise.ts'].map((f) =>
    join(ROOT, f),
  );
  if (
    existsSync(built) &&
    existsSync(join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')) &&
    sources.every((f) => statSync(f).mtimeMs <= statSync(built).mtimeMs)
  )
    return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync('npx', ['tsc-alias', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

beforeAll(() => {
  ensureDist();
  // normally a no-op: CI runs the script before `npm test`; a cold build takes long
  execFileSync('bash', [join(ROOT, 'scripts', 'ensure-temporal-server.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}, 45 * 60_000);

beforeAll(async () => {
  rmSync(DATA, { recursive: true, force: true });
  const apiPort = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'prod-local.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      API_PORT: String(apiPort),
      PROD_LOCAL_PORTS: 'ephemeral',
      PROD_LOCAL_DATA_DIR: DATA,
      // the demo sources of this test listen on loopback
      OUTBOUND_ALLOWED_NETWORKS: '127.0.0.0/8,::1',
      LOG_LEVEL: 'warn',
    },
    // its own process group: a test that dies still takes every child down in afterAll
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher = child;
  launcherExit = new Promise((done) => child.once('exit', (code) => done(code)));
  let buffer = '';
  const take = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    output.push(...lines);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const started = Date.now();
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prod-local exited (${child.exitCode}):\n${output.slice(-40).join('\n')}`);
      return line('[prod]   Admin token');
    },
    240_000,
    250,
  );
  console.log(`prod-local up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  apiUrl = /Console\s+(\S+)\/$/.exec(line('[prod]   Console') ?? '')?.[1] ?? '';
  expect(apiUrl).toBe(`http://localhost:${apiPort}`);
  const adminToken = /Admin token\s+(\S+)/.exec(line('[prod]   Admin token') ?? '')?.[1] ?? '';
  temporalAddress = /Temporal\s+(\S+)/.exec(line('[prod]   Temporal  ') ?? '')?.[1] ?? '';
  workerMetrics = [...(line('[prod]   Metrics') ?? '').matchAll(/(http:\/\/localhost:\d+\/metrics) \(worker-\d\)/g)].map((m) => m[1]);
  api = runApi({ http: () => request(apiUrl), adminToken } as unknown as ApiHarness);
}, 300_000);

afterAll(async () => {
  await pool.closeAll();
  const child = launcher;
  if (child?.pid && child.exitCode === null) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([launcherExit, new Promise((r) => (timer = setTimeout(r, 90_000)))]);
    clearTimeout(timer);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
  rmSync(DATA, { recursive: true, force: true });
}, 120_000);

it('runs the compose topology: every line of the banner, two workers, the compose environment', async () => {
  for (const label of ['Console', 'API', 'Temporal UI', 'Admin token', 'Temporal', 'PostgreSQL'])
    expect(line(`[prod]   ${label} `)).toBeDefined();
  expect((await fetch(`${apiUrl}/health`)).status).toBe(200);
  const ui = /Temporal UI\s+(\S+)/.exec(line('[prod]   Temporal UI') ?? '')?.[1] ?? '';
  await eventually(async () => (await fetch(ui).catch(() => undefined))?.status === 200, 30_000, 250);
  expect(pids('api')).toHaveLength(1);
  expect(pids('worker-1')).toHaveLength(1);
  expect(pids('worker-2')).toHaveLength(1);
  expect(workerMetrics).toHaveLength(2);
  for (const url of workerMetrics) expect((await fetch(url)).status).toBe(200);

  // the launcher passes what docker-compose.yml's application containers get, name for name
  const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const block = /\nx-app: &app\n[\s\S]*?\n {2}environment:\n([\s\S]*?)\n\S/.exec(compose)?.[1] ?? '';
  const composeNames = [...block.matchAll(/^ {4}([A-Z_]+):/gm)].map((m) => m[1]).sort();
  expect(composeNames.length).toBeGreaterThan(10);
  const ours = composeAppEnvironment({
    databaseUrl: '',
    temporalAddress: '',
    apiPort: 1,
    secretKey: '',
    apiToken: '',
    temporalUiUrl: '',
    workerMetricsPort: 1,
    env: {},
  });
  expect(Object.keys(ours).sort()).toEqual(composeNames);
});

it('an import survives a restart of the Temporal server mid-run with every record once', async () => {
  const scim = await pool.start({ users: USERS, groups: GROUPS, membersPerUser: 2 });
  // a slow listing keeps the run in extract long enough to lose its server there
  scim.setQuirks({ listLatencyMs: 400 });
  const codes = await api.targetStore('prodlocal');
  const connectorId = await api.connector(scim, AUTH.username, AUTH.password);
  const taskId = await api.task(connectorId, codes);

  const runStarted = Date.now();
  const started = await api.runNow(taskId);
  const before = await api.waitRun(started.id, (r) => r.stats.fetched > 0, 120_000);
  const [serverPid] = pids('temporal');
  expect(serverPid).toBeGreaterThan(0);

  const killedAt = Date.now();
  process.kill(serverPid, 'SIGKILL');
  const [, restartedPid] = await eventually(async () => (pids('temporal').length >= 2 ? pids('temporal') : undefined), 60_000, 100);
  expect(restartedPid).not.toBe(serverPid);
  expect(alive(serverPid)).toBe(false);
  expect(output.some((l) => /^\[prod\] temporal exited \(SIGKILL\); restarting in /.test(l))).toBe(true);
  await temporalAnswers(120_000);
  const backAt = Date.now();

  const run = await api.waitRun(started.id, undefined, 300_000);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  // what the outage cost inside Temporal: activity attempts started again, workflow tasks lost
  const connection = await Connection.connect({ address: temporalAddress });
  const history = await new Client({ connection, namespace: 'default' }).workflow
    .getHandle(run.workflowId, run.temporalRunId ?? undefined)
    .fetchHistory();
  await connection.close();
  const events = history.events ?? [];
  const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
  const workflowTaskTimeouts = events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
  console.log(
    `Temporal server killed ${s(killedAt - runStarted)} into the run (phase ${before.phase}, ${before.stats.fetched} fetched), ` +
      `answering again ${s(backAt - killedAt)} after the kill; run ${run.status} ${s(Date.parse(run.finishedAt ?? '') - runStarted)} after its start; ` +
      `${retried} activity attempt(s) started again, ${workflowTaskTimeouts} workflow task timeout(s), ${events.length} events`,
    run.notes,
  );
  expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: undefined });
  // it really ran across the restart
  expect(Date.parse(run.finishedAt ?? '')).toBeGreaterThan(backAt - 1000);
  expect(run.stats).toMatchObject({ fetched: USERS + GROUPS, created: USERS + GROUPS, failed: 0, removed: 0 });
  expect(await api.datacards({ template: codes.account })).toHaveLength(USERS);
  expect(await api.datacards({ template: codes.entitlement })).toHaveLength(GROUPS);
  // the API and the workers lived through it (only the server was started again)
  expect(pids('api')).toHaveLength(1);
  expect([...pids('worker-1'), ...pids('worker-2')]).toHaveLength(2);
}, 480_000);

it('Ctrl-C stops every process it started', async () => {
  const children = [...pids('temporal'), ...pids('temporal-ui'), ...pids('api'), ...pids('worker-1'), ...pids('worker-2')];
  const child = launcher as ChildProcess;
  child.kill('SIGINT');
  expect(await launcherExit).toBe(0);
  expect(output).toContain('[prod] stopped');
  for (const pid of children) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
}, 120_000);
