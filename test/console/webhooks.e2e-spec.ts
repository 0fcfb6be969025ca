/**
 * Webhooks and lost-update protection in the console (issue 25), in a real browser against the
 * real stack: a subscription created in the console, a real HTTP receiver on loopback verifying
 * every event with `standardwebhooks` and the secret the page showed once, the deliveries listed
 * and one redelivered from the page; and a save refused because someone else changed the task or
 * connector meanwhile ("Changed by someone else", Reload, save again).
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../support/fixtures';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';
import { runApi, scimServerPool, type RunApi } from '../e2e/support/run-api';
import { field, pick, signIn, startConsoleStack, type ConsoleStack, screenshotEachTestWhenDebugging } from './support/console-stack';

const USER = 'svc-hooks';
const PASSWORD = `Pw-${randomUUID()}`;
const HOOK_PATH = `/console-${randomUUID().slice(0, 8)}`;

let stack: ConsoleStack;
let rest: RunApi;
let receiver: WebhookReceiver;
let page: Page;
let connectorId = '';
let taskId = '';
const taskName = `hooks-task-${randomUUID().slice(0, 6)}`;
const scimServers = scimServerPool(USER, PASSWORD);

beforeAll(async () => {
  stack = await startConsoleStack();
  rest = runApi(stack.api);
  receiver = await startWebhookReceiver();
  const scim = await scimServers.start({ users: 3, groups: 0 });
  const codes = await rest.targetStore('hooks');
  connectorId = await rest.connector(scim, USER, PASSWORD);
  taskId = await rest.task(connectorId, codes, { name: taskName, mappingsType: 'identityOnly', access: null });
  page = await stack.newPage();
  await signIn(page, stack.api.adminToken);
}, 240_000);

screenshotEachTestWhenDebugging('hooks', () => page);

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
  await scimServers.closeAll();
});

interface RunEvent {
  type: string;
  data: { runId: string; taskId: string; status: string };
}

/**
 * The requests of event `type` for run `runId` the receiver got (from its `from`th on), each
 * verified against `secret`: throws on a bad signature.
 */
function verified(secret: string, type: string, runId: string, from = 0): Array<{ event: RunEvent; request: ReceivedWebhook }> {
  const hook = new Webhook(secret);
  return receiver
    .at(HOOK_PATH)
    .slice(from)
    .map((request) => ({ event: hook.verify(request.body, request.headers as Record<string, string>) as RunEvent, request }))
    .filter(({ event }) => event.type === type && event.data.runId === runId);
}

const get = (path: string, token = stack.api.adminToken) =>
  stack.api
    .http()
    .get(path)
    .set({ Authorization: `Bearer ${token}` });

describe('webhooks in the console', () => {
  let webhookId = '';
  let secret = '';
  let runId = '';
  const deliveryRows = () => page.getByRole('table', { name: 'Deliveries' }).locator('tbody tr[data-delivery-id]');
  const rowOf = (eventType: string) => deliveryRows().and(page.locator(`[data-event-type="${eventType}"]`));

  it('creates a webhook (a refused URL is shown next to its field) and shows its secret once', async () => {
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByRole('link', { name: 'New webhook' }).click();
    await page.waitForURL(/\/webhooks\/new$/);
    // the cloud metadata address is not one the deployment allows (OUTBOUND_ALLOWED_NETWORKS: loopback only)
    await field(page, 'URL').fill('http://169.254.169.254/latest');
    await page.getByRole('checkbox', { name: 'Run started' }).check();
    expect(await page.getByRole('checkbox', { name: 'Run succeeded' }).isChecked()).toBe(true);
    await pick(page, page, 'Task', taskName);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await eventually(async () => (await field(page, 'URL').getAttribute('aria-invalid')) === 'true', 10_000);
    expect(await page.getByRole('alert').filter({ hasText: 'Not saved' }).textContent()).toContain('OUTBOUND_ALLOWED_NETWORKS');

    await field(page, 'URL').fill(`${receiver.url}${HOOK_PATH}`);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/);
    webhookId = page.url().split('/').pop()!;
    secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    expect(await page.getByTestId('one-time-secret').textContent()).toContain('not shown again');
    await stack.screenshot(page, '19-webhook-created');

    const stored = await get(`/api/v1/webhooks/${webhookId}`).expect(200);
    expect(stored.body).toMatchObject({
      url: `${receiver.url}${HOOK_PATH}`,
      events: ['run.started', 'run.succeeded', 'run.failed'],
      taskId,
      enabled: true,
    });
    expect(stored.body).not.toHaveProperty('secret');
  });

  it("a run's events reach the receiver signed with that secret, and the page lists them as succeeded with their attempts", async () => {
    await rest.settled(taskId);
    const run = await rest.runToEnd(taskId);
    expect(run.status).toBe('succeeded');
    runId = run.id;
    const [succeeded] = await eventually(async () => {
      const got = verified(secret, 'run.succeeded', runId);
      return got.length ? got : undefined;
    }, 30_000);
    expect(succeeded.event.data).toMatchObject({ runId, taskId, status: 'succeeded' });
    expect(verified(secret, 'run.started', runId)).toHaveLength(1);

    // leaving and reopening: the secret is gone for good
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    const list = page.getByRole('table', { name: 'Webhooks' });
    await list
      .locator(`tr[data-webhook-id="${webhookId}"]`)
      .getByRole('link', { name: `${receiver.url}${HOOK_PATH}` })
      .click();
    await page.waitForURL(new RegExp(`/webhooks/${webhookId}$`));
    // the page was open moments ago: its list, empty then, may still count as fresh; Refresh reads it now
    await page.getByTestId('deliveries').getByRole('button', { name: 'Refresh' }).click();
    await eventually(async () => (await deliveryRows().count()) === 2, 20_000);
    expect(await page.getByTestId('one-time-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await deliveryRows().first().waitFor();
    expect(await page.content()).not.toContain(secret);

    // newest first; polled until both are settled
    await eventually(
      async () =>
        (
          await deliveryRows()
            .locator('[data-testid="delivery-status"]')
            .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))
        ).join() === 'succeeded,succeeded',
      20_000,
    );
    expect(await deliveryRows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event-type')))).toEqual([
      'run.succeeded',
      'run.started',
    ]);
    const row = rowOf('run.succeeded');
    expect(await row.textContent()).toContain('run succeeded');
    expect(await row.getByTestId('delivery-attempts').textContent()).toBe('1');
    expect(await row.getByTestId('delivery-answer').textContent()).toBe('HTTP 200');
    expect(await row.getByRole('link', { name: runId.slice(0, 8) }).getAttribute('href')).toBe(`/runs/${runId}`);
    await row.getByRole('button', { name: 'Show attempts' }).click();
    const attempts = page.getByRole('table', { name: 'Attempts' });
    expect(await attempts.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status-code')))).toEqual(['200']);
    await page.getByTestId('deliveries').scrollIntoViewIfNeeded();
    await stack.screenshot(page, '20-webhook-deliveries');
  });

  it('Redeliver sends the same event again (same webhook-id), listed as a new delivery on top', async () => {
    const original = rowOf('run.succeeded').first();
    const eventId = await original.getAttribute('data-event-id');
    await original.getByRole('button', { name: 'Redeliver' }).click();
    const twice = await eventually(async () => {
      const got = verified(secret, 'run.succeeded', runId);
      return got.length === 2 ? got : undefined;
    }, 30_000);
    expect(twice[1].request.headers['webhook-id']).toBe(twice[0].request.headers['webhook-id']);
    expect(twice[1].request.headers['webhook-id']).toBe(eventId);
    // the new delivery is polled until it succeeded
    await eventually(async () => (await deliveryRows().count()) === 3, 20_000);
    const newest = deliveryRows().first();
    expect(await newest.getAttribute('data-event-id')).toBe(eventId);
    expect(await newest.textContent()).toContain('redelivery');
    await eventually(async () => (await newest.getByTestId('delivery-status').getAttribute('data-status')) === 'succeeded', 20_000);
  });

  it('Rotate secret shows the new secret once, and the next delivery is signed with it', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    // everything the receiver gets from now on is signed with the new secret
    const before = receiver.at(HOOK_PATH).length;
    await rowOf('run.started').getByRole('button', { name: 'Redeliver' }).click();
    await eventually(async () => verified(rotated, 'run.started', runId, before).length === 1 || undefined, 30_000);
    await page.goto('/webhooks');
    await page.getByRole('table', { name: 'Webhooks' }).waitFor();
    await stack.screenshot(page, '21-webhooks');
    await page.goto(`/webhooks/${webhookId}`);
    await deliveryRows().first().waitFor();
    expect(await page.content()).not.toContain(rotated);
  });

  it('a read-scope token sees the webhook and its deliveries, with no write action', async () => {
    const reader = await stack.newPage();
    await signIn(reader, stack.api.readToken);
    await reader.goto('/webhooks');
    await reader.getByRole('table', { name: 'Webhooks' }).waitFor();
    expect(await reader.getByRole('link', { name: 'New webhook' }).count()).toBe(0);
    await reader.goto(`/webhooks/${webhookId}`);
    await reader.getByRole('table', { name: 'Deliveries' }).locator('tbody tr[data-delivery-id]').first().waitFor();
    for (const name of ['Redeliver', 'Rotate secret', 'Delete', 'Disable', 'Save'])
      expect(await reader.getByRole('button', { name }).count()).toBe(0);
    expect(await field(reader, 'URL').isDisabled()).toBe(true);
    await reader.context().close();
  });

  it('edits, disables and deletes the webhook (delete asks first)', async () => {
    await page.getByRole('checkbox', { name: 'Run failed' }).uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(
      async () => ((await get(`/api/v1/webhooks/${webhookId}`)).body as { events: string[] }).events.join() === 'run.started,run.succeeded',
      10_000,
    );
    await page.getByRole('button', { name: 'Disable' }).click();
    await eventually(async () => (await page.getByTestId('webhook-state').getAttribute('data-state')) === 'disabled', 10_000);
    expect((await get(`/api/v1/webhooks/${webhookId}`)).body).toMatchObject({ enabled: false });
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/webhooks$/);
    await get(`/api/v1/webhooks/${webhookId}`).expect(404);
  });
});

describe('a save refused because someone else changed it', () => {
  it('the task form says "Changed by someone else", saves nothing, Reload refills it with the new version, and saving again succeeds', async () => {
    await page.goto(`/tasks/${taskId}/edit`);
    const percent = field(page, 'Max removals per mapping (%)');
    const perRun = field(page, 'Max removals per run');
    await eventually(async () => (await percent.inputValue()) === '20', 20_000);
    // meanwhile another system changes the task
    await rest.patchTask(taskId, { safety: { maxRemovalPercent: 30 } });

    await perRun.fill('7');
    await page.getByRole('button', { name: 'Save task' }).click();
    const stale = page.getByTestId('stale-version');
    await stale.waitFor();
    expect(await stale.textContent()).toContain('Changed by someone else');
    // Save is at the end of the long form, the message at its top: it is scrolled to, below the header
    const box = (await stale.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(56);
    expect(box.y + box.height).toBeLessThanOrEqual(page.viewportSize()!.height);
    expect(page.url()).toMatch(/\/edit$/);
    await stack.screenshot(page, '22-changed-by-someone-else');
    const unchanged = await get(`/api/v1/tasks/${taskId}`).expect(200);
    expect(unchanged.body.safety).toMatchObject({ maxRemovalPercent: 30 });
    expect(unchanged.body.safety.maxRemovals).toBeUndefined();

    await stale.getByRole('button', { name: 'Reload' }).click();
    await eventually(async () => (await percent.inputValue()) === '30', 10_000);
    expect(await perRun.inputValue()).toBe('');
    expect(await stale.count()).toBe(0);
    await perRun.fill('7');
    await page.getByRole('button', { name: 'Save task' }).click();
    await page.waitForURL(new RegExp(`/tasks/${taskId}$`));
    const saved = await get(`/api/v1/tasks/${taskId}`).expect(200);
    expect(saved.body.safety).toMatchObject({ maxRemovalPercent: 30, maxRemovals: 7 });
  });

  it('the connector form does the same', async () => {
    await page.goto(`/connectors/${connectorId}`);
    const pageSize = field(page, 'Page size');
    const timeout = field(page, 'Timeout (ms)');
    await eventually(async () => (await pageSize.inputValue()) === '25', 20_000);
    await stack.api.http().patch(`/api/v1/connectors/${connectorId}`).set(rest.auth()).send({ pageSize: 30 }).expect(200);

    await timeout.fill('45000');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const stale = page.getByTestId('stale-version');
    await stale.waitFor();
    const unchanged = (await get(`/api/v1/connectors/${connectorId}`).expect(200)).body as { pageSize: number; timeoutMs: number };
    expect(unchanged.pageSize).toBe(30);
    expect(unchanged.timeoutMs).not.toBe(45000);

    await stale.getByRole('button', { name: 'Reload' }).click();
    await eventually(async () => (await pageSize.inputValue()) === '30', 10_000);
    await timeout.fill('45000');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await eventually(
      async () => ((await get(`/api/v1/connectors/${connectorId}`)).body as { timeoutMs: number }).timeoutMs === 45000,
      10_000,
    );
    expect(await stale.count()).toBe(0);
    expect((await get(`/api/v1/connectors/${connectorId}`).expect(200)).body).toMatchObject({ pageSize: 30, timeoutMs: 45000 });
  });
});

it('every page above ran under the Content-Security-Policy without anything blocked', () => {
  expect(stack.cspViolations).toEqual([]);
});
