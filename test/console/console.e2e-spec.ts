/**
 * The operator's console in a real browser (Debian's Chromium through playwright-core) against
 * the real stack: API serving the built console, worker, PostgreSQL, Temporal dev server and
 * demo SCIM servers. The flows share one task and run in order, as an operator would.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { eventually, taskBody } from '../support/fixtures';
import { runApi, scimServerPool, sorted, type RunApi, type TargetCodes } from '../e2e/support/run-api';
import {
  combobox,
  field,
  pick,
  signIn,
  startConsoleStack,
  type ConsoleStack,
  screenshotEachTestWhenDebugging,
} from './support/console-stack';

const USER = 'svc-console';
const PASSWORD = `Pw-${randomUUID()}`;
const USERS = 10;
const GROUPS = 2;

let stack: ConsoleStack;
let rest: RunApi;
let scim: ScimDemoServer;
let page: Page;
const scimServers = scimServerPool(USER, PASSWORD);
const names = { connector: `console-conn-${randomUUID().slice(0, 6)}`, task: `console-task-${randomUUID().slice(0, 6)}` };
let connectorId = '';
let taskId = '';
/** this file's own templates and folders: the demo seed's ids are the same in every test file */
let codes: TargetCodes;

beforeAll(async () => {
  stack = await startConsoleStack();
  rest = runApi(stack.api);
  scim = await scimServers.start({ users: USERS, groups: GROUPS, membersPerUser: 1 });
  codes = await rest.targetStore('console');
  page = await stack.newPage();
}, 240_000);

screenshotEachTestWhenDebugging('main', () => page);

afterAll(async () => {
  await stack?.close();
  await scimServers.closeAll();
});

/** Waits for the run page to show a final status, and returns it. */
async function finalStatus(p: Page, timeout = 60_000): Promise<string> {
  // the badge of the run in the URL, not of the page shown a moment before
  const badge = p.locator(`[data-run-status="${p.url().split('/').pop()}"]`);
  await eventually(async () => (await badge.textContent()) !== 'running', timeout, 250);
  return (await badge.textContent()) ?? '';
}

async function stat(p: Page, key: string): Promise<number> {
  return Number(await p.getByTestId(`stat-${key}`).textContent());
}

/** Run now from the task page (keyboard: focus the button, press Enter); returns the run id from the URL. */
async function runNowFromTaskPage(p: Page): Promise<string> {
  await rest.settled(taskId);
  await p.goto(`/tasks/${taskId}`);
  const button = p.getByRole('button', { name: 'Run now', exact: true });
  await button.focus();
  await p.keyboard.press('Enter');
  await p.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
  return p.url().split('/').pop()!;
}

describe('operator console', () => {
  it('signs in with an API token (a wrong one is refused) and shows the scope', async () => {
    await page.goto('/');
    await stack.screenshot(page, '01-sign-in');
    await page.getByLabel('API token').fill('sit_not-a-token');
    await page.keyboard.press('Enter');
    await page.getByText('This token is unknown or revoked.').waitFor();
    await signIn(page, stack.api.adminToken);
    expect(await page.getByTestId('scope').textContent()).toBe('admin');
    expect(page.url()).toMatch(/\/tasks$/);
    // the API keeps its own paths next to the console
    expect((await page.request.get('/health')).status()).toBe(200);
    expect((await page.request.get('/api/v1/tasks')).status()).toBe(401);
  });

  it('creates a connector with a write-only password and tests connection and authentication', async () => {
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('link', { name: 'New connector' }).click();
    await field(page, 'Name').fill(names.connector);
    await field(page, 'Base URL').fill(scim.url);
    await field(page, 'Username').fill(USER);
    const create = page.getByRole('button', { name: 'Create connector' });
    expect(await create.isDisabled()).toBe(true);
    expect(await page.getByTestId('missing').textContent()).toContain('Password');
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('textbox', { name: 'Page size' }).fill('5');
    await create.click();
    await page.waitForURL(/\/connectors\/[0-9a-f-]{36}$/);
    connectorId = page.url().split('/').pop()!;
    // the secret is never shown again, only that it is set
    await page.getByTestId('secret-set').waitFor();
    expect(await page.content()).not.toContain(PASSWORD);

    await page.getByRole('button', { name: 'Test connection' }).click();
    await page
      .getByTestId('connection-result')
      .getByText(/Connection OK/)
      .waitFor();
    await page.getByRole('button', { name: 'Test authentication' }).click();
    const auth = page.getByTestId('authentication-result');
    await auth.getByText('Authentication OK').waitFor();
    const caps = await auth.getByTestId('capabilities').textContent();
    expect(caps).toContain('Paging methods');
    expect(caps).toMatch(/index/);
    // asking only for the mapped attributes is on by default; turning it off is saved
    const projection = page.getByRole('checkbox', { name: /Ask only for the mapped attributes/ });
    expect(await projection.isChecked()).toBe(true);
    await projection.uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    const projectionSaved = (want: boolean) =>
      eventually(
        async () =>
          (await stack.api.http().get(`/api/v1/connectors/${connectorId}`).set(rest.auth()).expect(200)).body.attributeProjection === want,
      );
    await projectionSaved(false);
    await projection.check();
    await page.getByRole('button', { name: 'Save' }).click();
    await projectionSaved(true);
    await stack.screenshot(page, '02-connector');
    await page.getByRole('link', { name: 'Connectors' }).click();
    await page.getByRole('link', { name: names.connector }).waitFor();
    await stack.screenshot(page, '03-connectors');
  });

  it('creates an identity+access task through the form, showing a server field error next to its field', async () => {
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByRole('link', { name: 'New task' }).click();
    const create = page.getByRole('button', { name: 'Create task' });
    expect(await create.isDisabled()).toBe(true);
    const missing = await page.getByTestId('missing').textContent();
    expect(missing).toContain('Name');
    expect(missing).toContain('Connector');
    expect(missing).toContain('Identity: template');
    expect(missing).toContain('Access: template');

    await field(page, 'Name').fill(names.task);
    await pick(page, page, 'Connector', names.connector);
    const identity = page.locator('[data-section="identity"]');
    const access = page.locator('[data-section="access"]');
    // picking a template suggests the attribute rows, the folder, the unique id and removal settings
    await pick(page, identity, 'Template', new RegExp(`^${codes.account} `));
    await pick(page, access, 'Template', new RegExp(`^${codes.entitlement} `));
    expect(await combobox(identity, 'Folder').inputValue()).toContain(codes.account);
    expect(await create.isDisabled()).toBe(false);

    // a mapping expression the server refuses: 422 with the field, shown beside that row
    const row = identity.locator('[data-row="1"]');
    expect(await combobox(row, 'Row 2 local attribute').inputValue()).toMatch(/email/);
    await field(row, 'Row 2 external expression').fill('emails[type eq');
    await create.click();
    await row.getByText(/invalid attribute expression/).waitFor();
    expect(page.url()).toMatch(/\/tasks\/new$/);
    await row.scrollIntoViewIfNeeded();
    await stack.screenshot(page, '04-task-form-error');

    await field(row, 'Row 2 external expression').fill('emails[type eq "work"].value');
    await create.click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    taskId = page.url().split('/').pop()!;
    await page.getByRole('heading', { name: names.task }).waitFor();
    const task = (await stack.api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth()).expect(200)).body;
    expect(task).toMatchObject({ connectorId, type: 'full', mappingsType: 'identityAndAccess', schedule: null });
    expect(task.identity.attributes).toContainEqual({ external: 'emails[type eq "work"].value', local: 'email' });
    expect(task.access.members).toEqual({ local: 'members' });
    expect(task.identity.removal).toEqual({ enabled: true, statusAttribute: 'accountStatus', removedValue: 'Deleted' });
  });

  it('runs now and shows the run reaching succeeded with the right counts', async () => {
    await runNowFromTaskPage(page);
    expect(await finalStatus(page)).toBe('succeeded');
    expect(await stat(page, 'created')).toBe(USERS + GROUPS);
    expect(await stat(page, 'fetched')).toBe(USERS + GROUPS);
    expect(await stat(page, 'failed')).toBe(0);
    await page.getByRole('table', { name: 'Extract reports' }).getByText('/Users').waitFor();
    await page.getByTestId('records').waitFor();
    await stack.screenshot(page, '05-run');
    // a scheduled task beside it: the list says its schedule in words and its next run times
    const nightly = (
      await stack.api
        .http()
        .post('/api/v1/tasks')
        .set(rest.auth())
        .send(
          taskBody(connectorId, {
            name: `${names.task}-nightly`,
            schedule: { cron: '30 2 * * *', timezone: 'Europe/Helsinki' },
            filters: null,
          }),
        )
        .expect(201)
    ).body as { id: string };
    try {
      await page.getByRole('link', { name: 'Tasks' }).click();
      await page.getByRole('link', { name: `Last run of ${names.task}` }).waitFor();
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `${names.task}-nightly`, exact: true }) });
      await row.getByText('daily at 02:30 (Europe/Helsinki)').waitFor();
      await row
        .getByText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
        .first()
        .waitFor();
      await stack.screenshot(page, '06-tasks');
    } finally {
      await stack.api.http().delete(`/api/v1/tasks/${nightly.id}`).set(rest.auth()).expect(204);
    }
    await page.getByRole('link', { name: names.task, exact: true }).click();
    await page.getByRole('table', { name: 'Runs' }).waitFor();
    await stack.screenshot(page, '07-task');
  });

  it('browses the imported datacards by task and template and opens one with its memberships by name', async () => {
    await page.getByRole('link', { name: 'Datacards' }).click();
    await pick(page, page, 'Task', names.task);
    await pick(page, page, 'Template', new RegExp(`^${codes.entitlement} `));
    const table = page.getByTestId('datacards');
    await eventually(async () => (await table.locator('tbody tr').count()) === GROUPS, 10_000);
    await pick(page, page, 'Template', new RegExp(`^${codes.account} `));
    await eventually(async () => (await table.locator('tbody tr').count()) === USERS, 10_000);
    await stack.screenshot(page, '08-datacards');

    // a group's members are datacard ids in the API; the console shows the accounts' names
    const groups = await rest.datacards({ taskId, template: codes.entitlement });
    const group = groups.find((g) => Array.isArray(g.attributes.members) && (g.attributes.members as string[]).length > 0)!;
    const member = (await rest.datacards({ taskId, template: codes.account })).find(
      (a) => a.id === (group.attributes.members as string[])[0],
    )!;
    await page.goto(`/datacards/${group.id}`);
    const memberName = String(member.attributes.displayName || member.attributes.login);
    await page.getByRole('link', { name: memberName, exact: true }).waitFor();
    await stack.screenshot(page, '09-datacard');
  });
});

describe('operator console: failures, retries and removals', () => {
  it('shows a failing run with its failure, and Retry (resume) finishes it', async () => {
    scim.setAuth({ basic: { username: USER, password: `Rotated-${randomUUID()}` } });
    const failedId = await runNowFromTaskPage(page);
    expect(await finalStatus(page)).toBe('failed');
    const failure = page.getByTestId('run-error');
    expect(await failure.textContent()).toMatch(/ScimAuthError/);
    expect(await failure.textContent()).toMatch(/rejected the credentials/);
    await stack.screenshot(page, '10-run-failed');

    scim.setAuth({ basic: { username: USER, password: PASSWORD } });
    await page.getByRole('button', { name: 'Retry (resume)' }).click();
    await page.waitForURL((url) => /\/runs\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(failedId));
    const status = await finalStatus(page);
    expect({
      status,
      error: await page
        .getByTestId('run-error')
        .textContent({ timeout: 1000 })
        .catch(() => null),
    }).toEqual({ status: 'succeeded', error: null });
    await page.getByRole('link', { name: 'earlier run' }).waitFor();
    const retried = await rest.run(page.url().split('/').pop()!);
    expect(retried).toMatchObject({ status: 'succeeded', retryOf: failedId, trigger: 'retry' });
  });

  it('a run above the removal threshold waits; approving from the console removes exactly the listed records', async () => {
    const gone = scim.admin.listUserIds().slice(0, 5);
    for (const id of gone) await scim.admin.deleteUser(id);
    const runId = await runNowFromTaskPage(page);
    const state = page.getByTestId('removal-state');
    // the state's API value (the badge says it in words)
    await eventually(async () => (await state.getAttribute('data-state').catch(() => '')) === 'awaitingApproval', 60_000, 250);
    const listed = page.getByTestId('candidate');
    await eventually(async () => (await listed.count()) === gone.length, 10_000);
    expect(sorted(await listed.allTextContents())).toEqual(sorted(gone));
    await page.getByTestId('removal').scrollIntoViewIfNeeded();
    await stack.screenshot(page, '11-run-removals-awaiting');

    await page.getByRole('button', { name: 'Approve removals' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve removals' }).click();
    expect(await finalStatus(page)).toBe('succeeded');
    expect(await stat(page, 'removed')).toBe(gone.length);
    expect(await state.getAttribute('data-state')).toBe('applied');

    const removed = await rest.datacards({ taskId, template: codes.account, status: 'removed' });
    expect(sorted(removed.map((d) => d.uniqueValue))).toEqual(sorted(gone));
    expect(await rest.datacards({ taskId, template: codes.account, status: 'active' })).toHaveLength(USERS - gone.length);
    expect(sorted((await rest.records(runId, 'removed')).map((r) => r.uniqueValue))).toEqual(sorted(gone));

    // the record filter shows the same set
    await page
      .getByTestId('records-section')
      .locator('label')
      .filter({ hasText: /^removed$/ })
      .click();
    await eventually(async () => (await page.getByTestId('records').locator('tbody tr').count()) === gone.length, 10_000);
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('table', { name: 'Runs' }).waitFor();
    await stack.screenshot(page, '12-runs');
  });

  it('a read-scope token gets a read-only console, and the API refuses its writes', async () => {
    const reader = await stack.newPage();
    await signIn(reader, stack.api.readToken);
    expect(await reader.getByTestId('scope').textContent()).toBe('read-only');
    await reader.getByRole('link', { name: names.task, exact: true }).waitFor();
    expect(await reader.getByRole('link', { name: 'New task' }).count()).toBe(0);

    await reader.goto(`/tasks/${taskId}`);
    await reader.getByRole('heading', { name: names.task }).waitFor();
    for (const name of ['Run now', 'Pause', 'Edit', 'Delete', 'Clear cache']) {
      expect(await reader.getByRole('button', { name, exact: true }).count()).toBe(0);
    }
    await reader.goto(`/connectors/${connectorId}`);
    await reader.getByTestId('secret-set').waitFor();
    expect(await reader.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await field(reader, 'Name').isDisabled()).toBe(true);
    expect(await reader.getByRole('button', { name: 'Test connection' }).isDisabled()).toBe(true);
    await reader.goto(`/tasks/${taskId}/edit`);
    await field(reader, 'Name').waitFor();
    expect(await reader.getByRole('button', { name: 'Save task' }).count()).toBe(0);
    await stack.screenshot(reader, '13-read-only');

    // hiding is a courtesy: the API itself refuses a write with this token
    const status = await reader.evaluate(
      async ({ id, token }) =>
        (
          await fetch(`/api/v1/tasks/${id}/runs`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            body: '{}',
          })
        ).status,
      { id: taskId, token: stack.api.readToken },
    );
    expect(status).toBe(403);
    const task = await rest.run((await stack.api.http().get(`/api/v1/tasks/${taskId}`).set(rest.auth())).body.lastRun.id);
    expect(task.status).toBe('succeeded');
  });
});

describe('operator console: security headers', () => {
  it('every page above ran under the Content-Security-Policy without anything blocked', () => {
    expect(stack.cspViolations).toEqual([]);
  });

  it('Swagger UI at /docs loads and renders the API under the same policy, and refuses to be framed', async () => {
    const docs = await stack.newPage();
    const answer = await docs.goto('/docs');
    expect(answer?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await docs.getByText('/api/v1/connectors/{id}/test-connection').first().waitFor();
    expect(stack.cspViolations).toEqual([]);

    // another page that frames the console: the browser refuses to render it there
    const framer = await stack.newPage();
    await framer.setContent(`<iframe src="${stack.baseUrl}/"></iframe>`);
    await eventually(async () => stack.cspViolations.some((v) => /frame-ancestors 'none'/.test(v)), 20_000, 200);
    const framed = framer.frames().find((f) => f !== framer.mainFrame());
    // (an expression string: this file compiles without the DOM library)
    expect(await framed?.evaluate('document.querySelector("#root") !== null').catch(() => false)).not.toBe(true);
  });
});
