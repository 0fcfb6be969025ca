/**
 * What an operator watches in the console (issue 24), in a real browser against the real stack:
 * a slow import's progress bars and estimate, the step timeline, a task's history chart, the Runs
 * page filtered by the server (GET /runs), removal candidates with their login, the connector
 * page's tasks, and the Tasks and Runs pages making the same few requests for 5 tasks as for 50.
 */
import { randomUUID } from 'node:crypto';
import type { Page, Request } from 'playwright-core';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { eventually } from '../support/fixtures';
import { runApi, scimServerPool, sorted, type RunApi, type TargetCodes } from '../e2e/support/run-api';
import { combobox, signIn, startConsoleStack, type ConsoleStack, screenshotEachTestWhenDebugging } from './support/console-stack';

const USER = 'svc-ops';
const PASSWORD = `Pw-${randomUUID()}`;
const USERS = 120;
const GROUPS = 3;
/** small pages and a slow listing: the read of /Users takes about 24 pages x 400 ms */
const PAGE_SIZE = 5;
const LIST_LATENCY_MS = 400;

let stack: ConsoleStack;
let rest: RunApi;
let scim: ScimDemoServer;
let page: Page;
let codes: TargetCodes;
let connectorId = '';
let taskId = '';
const connectorName = `ops-conn-${randomUUID().slice(0, 6)}`;
const scimServers = scimServerPool(USER, PASSWORD);

beforeAll(async () => {
  stack = await startConsoleStack();
  rest = runApi(stack.api);
  scim = await scimServers.start({ users: USERS, groups: GROUPS, membersPerUser: 1 });
  codes = await rest.targetStore('ops');
  const connector = await stack.api
    .http()
    .post('/api/v1/connectors')
    .set(rest.auth())
    .send({ name: connectorName, baseUrl: scim.url, auth: { type: 'basic', username: USER, password: PASSWORD }, pageSize: PAGE_SIZE })
    .expect(201);
  connectorId = connector.body.id;
  taskId = await rest.task(connectorId, codes, { name: `ops-task-${randomUUID().slice(0, 6)}` });
  page = await stack.newPage();
  await signIn(page, stack.api.adminToken);
}, 240_000);

screenshotEachTestWhenDebugging('ops', () => page);

afterAll(async () => {
  await stack?.close();
  await scimServers.closeAll();
});

/** Waits for the run page to show a final status, and returns it (the API's value). */
async function finalStatus(p: Page, timeout = 90_000): Promise<string> {
  const badge = p.locator(`[data-run-status="${p.url().split('/').pop()}"] [data-status]`);
  await eventually(async () => (await badge.getAttribute('data-status')) !== 'running', timeout, 250);
  return (await badge.getAttribute('data-status')) ?? '';
}

async function runNowFromTaskPage(p: Page): Promise<string> {
  await rest.settled(taskId);
  await p.goto(`/tasks/${taskId}`);
  await p.getByRole('button', { name: 'Run now', exact: true }).click();
  await p.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
  return p.url().split('/').pop()!;
}

/** The API requests a page makes from `goto` until the network is quiet and `ready` holds. */
async function apiRequestsOf(p: Page, path: string, ready: () => Promise<boolean>): Promise<string[]> {
  // leave the page before: a page that polls (another file's run in progress) must not count here
  await p.goto('about:blank');
  const seen: string[] = [];
  const onRequest = (r: Request) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/')) seen.push(`${r.method()} ${url.pathname}${url.search}`);
  };
  p.on('request', onRequest);
  try {
    await p.goto(path);
    await eventually(ready, 20_000, 100);
    await p.waitForLoadState('networkidle');
    // a polling page would ask again within 2 s; a page with nothing running stays quiet
    await p.waitForTimeout(2_500);
    return [...seen];
  } finally {
    p.off('request', onRequest);
  }
}

describe('operations in the console', () => {
  it('a slow import shows progress bars that move, with an estimate and where the expected count comes from', async () => {
    scim.setQuirks({ listLatencyMs: LIST_LATENCY_MS });
    try {
      await runNowFromTaskPage(page);
      const users = page.getByTestId('progress-identity');
      const reads = new Set<number>();
      let estimate = '';
      await eventually(
        async () => {
          if (!(await users.isVisible())) return false;
          const read = Number(await users.getAttribute('data-read'));
          const text = (await users.getByTestId('progress-text').textContent()) ?? '';
          if (read > 0 && read < USERS) reads.add(read);
          if (/ left$/.test(text)) estimate = text;
          return reads.size >= 2 && estimate;
        },
        60_000,
        200,
      );
      // "35 of 120 · 12.3/s · a few seconds left"
      expect(estimate).toMatch(new RegExp(`^\\d+ of ${USERS} · [\\d.,]+/s · .+ left$`));
      expect(await users.textContent()).toContain("expected: the server's count");
      expect(await users.getByRole('progressbar').count()).toBe(1);
      await page.getByTestId('progress').scrollIntoViewIfNeeded();
      await stack.screenshot(page, '14-run-progress');
    } finally {
      scim.setQuirks({});
    }
    expect(await finalStatus(page)).toBe('succeeded');
    // once it ended: no progress, and the steps with their durations
    await eventually(async () => (await page.getByTestId('progress').count()) === 0, 10_000);
    const steps = page.getByTestId('phases').locator('[data-phase]');
    expect(await steps.count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('phases').textContent()).toMatch(/extract/);
  });

  it('the task page charts the last runs: duration and created, updated, removed, failed per run', async () => {
    await rest.settled(taskId);
    await rest.runToEnd(taskId);
    await rest.settled(taskId);
    await rest.runToEnd(taskId);
    await page.goto(`/tasks/${taskId}`);
    const chart = page.getByTestId('run-history');
    await eventually(async () => Number(await chart.getAttribute('data-runs')) >= 3, 20_000);
    await chart.locator('svg.recharts-surface').first().waitFor();
    // one point of the duration line per run, and bars for the first run's creations
    await eventually(async () => (await chart.locator('.recharts-line-dot, .recharts-line-dots circle').count()) >= 3, 10_000);
    expect(await chart.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    const legend = (await chart.textContent()) ?? '';
    for (const series of ['created', 'updated', 'removed', 'failed', 'duration (s)']) expect(legend).toContain(series);
    await chart.scrollIntoViewIfNeeded();
    await stack.screenshot(page, '15-task-history');
  });

  it('the Runs page filters by status through GET /runs, and the filter is in the URL', async () => {
    // a failing run beside the succeeded ones
    scim.setAuth({ basic: { username: USER, password: `Rotated-${randomUUID()}` } });
    try {
      await rest.settled(taskId);
      const failed = await rest.runToEnd(taskId);
      expect(failed.status).toBe('failed');
    } finally {
      scim.setAuth({ basic: { username: USER, password: PASSWORD } });
    }
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    const table = page.getByRole('table', { name: 'Runs' });
    await table.waitFor();
    await combobox(page, 'Status').click();
    await page.getByRole('option', { name: 'failed' }).click();
    await page.keyboard.press('Escape');
    await eventually(async () => requested.some((u) => /\/api\/v1\/runs\?(.*&)?status=failed(&|$)/.test(u)), 10_000);
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    const statuses = () =>
      table.locator('tbody tr [data-testid="status"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    await eventually(async () => {
      const s = await statuses();
      return s.length > 0 && s.every((x) => x === 'failed');
    }, 10_000);
    await stack.screenshot(page, '16-runs-filtered');

    // the link opens the same view; several statuses go as one comma list
    requested.length = 0;
    await page.goto('/runs?status=succeeded,failed');
    await eventually(async () => requested.some((u) => /\/api\/v1\/runs\?(.*&)?status=succeeded(%2C|,)failed/.test(u)), 10_000);
    await eventually(async () => {
      const s = await statuses();
      return s.includes('failed') && s.includes('succeeded') && s.every((x) => x === 'failed' || x === 'succeeded');
    }, 10_000);
    page.removeAllListeners('request');
  });

  it('removal candidates waiting for approval show their login beside the unique value; approving removes them', async () => {
    await rest.patchTask(taskId, { safety: { maxRemovalPercent: 1 } });
    const gone = scim.admin.listUserIds().slice(0, 4);
    const loginOf = new Map(
      (await rest.datacards({ taskId, template: codes.account })).map((d) => [d.uniqueValue, String(d.attributes.login)]),
    );
    for (const id of gone) await scim.admin.deleteUser(id);
    await runNowFromTaskPage(page);
    const state = page.getByTestId('removal-state');
    await eventually(async () => (await state.getAttribute('data-state').catch(() => '')) === 'awaitingApproval', 90_000, 250);
    expect(await state.textContent()).toBe('awaiting approval');
    const rows = page.getByTestId('candidates').locator('tbody tr');
    await eventually(async () => (await rows.count()) === gone.length, 10_000);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-unique-value'), tr.querySelector('[data-testid="candidate-summary"]')?.textContent]),
    );
    expect(sorted(shown.map(([unique]) => unique!))).toEqual(sorted(gone));
    for (const [unique, summary] of shown) expect(summary).toBe(loginOf.get(unique));
    expect(loginOf.get(gone[0])).toBeTruthy();
    await page.getByTestId('removal').scrollIntoViewIfNeeded();
    await stack.screenshot(page, '17-removal-candidates');

    await page.getByRole('button', { name: 'Approve removals' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve removals' }).click();
    expect(await finalStatus(page)).toBe('succeeded');
    expect(await state.getAttribute('data-state')).toBe('applied');
    expect(Number(await page.getByTestId('stat-removed').textContent())).toBe(gone.length);
  });

  it('the connector page lists its tasks and recent runs, and New task opens the form with the connector chosen', async () => {
    await page.goto(`/connectors/${connectorId}`);
    const tasks = page.getByTestId('connector-tasks');
    await tasks.getByRole('link', { name: /^ops-task-/ }).waitFor();
    const runs = page.getByTestId('connector-runs');
    await eventually(async () => (await runs.locator('tbody tr').count()) >= 5, 10_000);
    await tasks.scrollIntoViewIfNeeded();
    await stack.screenshot(page, '18-connector-tasks');
    await tasks.getByRole('link', { name: 'New task' }).click();
    await page.waitForURL((url) => url.pathname === '/tasks/new' && url.searchParams.get('connectorId') === connectorId);
    await eventually(async () => (await combobox(page, 'Connector').inputValue()) === connectorName, 10_000);
  });

  it('the Tasks and Runs pages make the same requests for 50 tasks as for 5, and none per task', async () => {
    await rest.settled(taskId);
    const addTasks = async (n: number) => {
      for (let i = 0; i < n; i++) await rest.task(connectorId, codes, { name: `ops-many-${randomUUID().slice(0, 8)}` });
    };
    const total = async () => (await stack.api.http().get('/api/v1/tasks').set(rest.auth()).expect(200)).body.total as number;
    // at least: test files running beside this one share the database and add tasks of their own
    const measure = async (tasks: number) => {
      const tasksPage = await apiRequestsOf(
        page,
        '/tasks',
        async () => (await page.getByRole('table', { name: 'Tasks' }).locator('tbody tr').count()) >= tasks,
      );
      const runsPage = await apiRequestsOf(
        page,
        '/runs',
        async () => (await page.getByRole('table', { name: 'Runs' }).locator('tbody tr').count()) > 0,
      );
      return { tasksPage, runsPage };
    };

    // other test files share the database: count at least so many tasks, and compare the distinct
    // requests (a run of theirs in progress makes the pages poll, which repeats the same requests)
    const distinct = (urls: string[]) => [...new Set(urls)].sort();
    await addTasks(Math.max(0, 5 - (await total())));
    const five = await measure(5);
    await addTasks(Math.max(0, 50 - (await total())));
    const fifty = await measure(50);

    expect(distinct(fifty.tasksPage)).toEqual(distinct(five.tasksPage));
    expect(distinct(fifty.runsPage)).toEqual(distinct(five.runsPage));
    for (const url of [...five.tasksPage, ...five.runsPage, ...fifty.tasksPage, ...fifty.runsPage]) {
      expect(url).not.toMatch(/\/api\/v1\/tasks\/[0-9a-f-]{36}/);
    }
    // who am I, the tasks, the connectors (and the runs list), and nothing else
    const paths = (urls: string[]) => distinct(urls.map((u) => u.replace(/\?.*$/, '')));
    expect(paths(fifty.tasksPage)).toEqual(['GET /api/v1/auth/whoami', 'GET /api/v1/connectors', 'GET /api/v1/tasks']);
    expect(paths(fifty.runsPage)).toEqual(['GET /api/v1/auth/whoami', 'GET /api/v1/connectors', 'GET /api/v1/runs', 'GET /api/v1/tasks']);
  });

  it('the charts, bars and timeline ran under the Content-Security-Policy without anything blocked', () => {
    expect(stack.cspViolations).toEqual([]);
  });
});
