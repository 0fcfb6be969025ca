/**
 * Run events pushed by webhooks, end to end: the real API, PostgreSQL, Temporal dev server, the
 * production workflow bundle and activities, demo SCIM servers and a real HTTP receiver that
 * verifies every signature with `standardwebhooks`. Retries wait 1 s at first
 * (WEBHOOK_RETRY_INITIAL_SECONDS) so a flaky receiver is served within seconds.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { ScimDemoServer } from '../../apps/scim-demo/src';
import { WebhookSweepService } from '../../apps/api/src/webhooks/webhook-sweep.service';
import { WebhooksService } from '../../apps/api/src/webhooks/webhooks.service';
import { emitRunEvent } from '../../libs/import/src';
import { useStack } from '../support/e2e-stack';
import { eventually, uniq } from '../support/fixtures';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver';
import { runApi, scimServerPool, type RunBody } from './support/run-api';

const USER = 'svc-import';
const PASSWORD = `Pw-${randomUUID()}`;

const stack = useStack({ taskQueue: uniq('e2e-webhooks'), api: true, worker: true, config: { webhookRetryInitialMs: 1000 } });
const { api } = stack;
const rest = runApi(api);
const scimServers = scimServerPool(USER, PASSWORD);
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await scimServers.closeAll();
});

interface Subscription {
  id: string;
  url: string;
  events: string[];
  taskId: string | null;
  enabled: boolean;
  secret?: string;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  runId: string;
  status: string;
  nextRetryAt: string | null;
  redeliveryOf: string | null;
  attempts: Array<{ attempt: number; statusCode: number | null; error?: string; durationMs: number; nextRetryAt: string | null }>;
}

interface RunEvent {
  type: string;
  timestamp: string;
  data: { runId: string; taskId: string; status: string; stats: Record<string, number>; error?: { type: string }; removal?: { state: string; total?: number } };
}

async function subscribe(body: Record<string, unknown>): Promise<Subscription> {
  const res = await rest.post('/api/v1/webhooks', body);
  if (res.status !== 201) throw new Error(`HTTP ${res.status}: ${res.text}`);
  return res.body as Subscription;
}

async function deliveries(subscriptionId: string): Promise<Delivery[]> {
  const res = await api.http().get(`/api/v1/webhooks/${subscriptionId}/deliveries`).set(rest.auth());
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`);
  return (res.body as { items: Delivery[] }).items;
}

/** The events of `type` for run `runId` that reached `path`, each checked against the subscription's secret. */
function verified(path: string, secret: string, type: string, runId: string): Array<{ event: RunEvent; request: ReceivedWebhook }> {
  const hook = new Webhook(secret);
  return receiver
    .at(path)
    .map((request) => ({ event: hook.verify(request.body, request.headers as Record<string, string>) as RunEvent, request }))
    .filter(({ event }) => event.type === type && event.data.runId === runId);
}

/** The verified events once at least one arrived (for eventually: an empty list is no answer yet). */
function arrived(path: string, secret: string, type: string, runId: string) {
  const got = verified(path, secret, type, runId);
  return got.length > 0 ? got : undefined;
}

async function smallTask(scim: ScimDemoServer, prefix: string, password = PASSWORD, overrides: Record<string, unknown> = {}): Promise<string> {
  const codes = await rest.targetStore(prefix);
  return rest.task(await rest.connector(scim, USER, password), codes, { mappingsType: 'identityOnly', access: null, ...overrides });
}

describe('webhook subscriptions over the API', () => {
  it('create shows the secret once; GET, list and PATCH never do; rotate replaces it; delete ends it', async () => {
    const scim = await scimServers.start({ users: 1, groups: 0 });
    const taskId = await smallTask(scim, 'crud');
    const created = await subscribe({ url: `${receiver.url}/crud`, events: ['run.succeeded', 'run.failed'], taskId });
    expect(created).toMatchObject({ url: `${receiver.url}/crud`, events: ['run.succeeded', 'run.failed'], taskId, enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);

    const got = await api.http().get(`/api/v1/webhooks/${created.id}`).set(rest.auth());
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(JSON.stringify(got.body)).not.toContain(created.secret);
    const list = await api.http().get('/api/v1/webhooks').set({ Authorization: `Bearer ${api.readToken}` });
    expect(list.status).toBe(200);
    expect((list.body as { items: Subscription[] }).items.map((s) => s.id)).toContain(created.id);
    expect(list.text).not.toContain('whsec_');

    const patched = await api.http().patch(`/api/v1/webhooks/${created.id}`).set(rest.auth()).send({ enabled: false, events: ['run.started'], taskId: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: created.id, enabled: false, events: ['run.started'], taskId: null });
    expect(patched.body).not.toHaveProperty('secret');

    const rotated = await rest.post(`/api/v1/webhooks/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect((rotated.body as Subscription).secret).toMatch(/^whsec_/);
    expect((rotated.body as Subscription).secret).not.toBe(created.secret);

    // a read token may read, not write
    const readOnly = await api.http().post('/api/v1/webhooks').set({ Authorization: `Bearer ${api.readToken}` }).send({ url: `${receiver.url}/x`, events: ['run.failed'] });
    expect(readOnly.status).toBe(403);

    expect((await api.http().delete(`/api/v1/webhooks/${created.id}`).set(rest.auth())).status).toBe(204);
    expect((await api.http().get(`/api/v1/webhooks/${created.id}`).set(rest.auth())).status).toBe(404);
    expect((await api.http().delete(`/api/v1/webhooks/${created.id}`).set(rest.auth())).status).toBe(404);
    expect((await api.http().get(`/api/v1/webhooks/${randomUUID()}/deliveries`).set(rest.auth())).status).toBe(404);
  });

  it('refuses what is not an http(s) URL or an event type (400), and an address the deployment does not allow (422)', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: 'ftp://hooks.example.com/x', events: ['run.failed'] }, 'url'],
      [{ url: 'https://user:pw@hooks.example.com/x', events: ['run.failed'] }, 'url'],
      [{ url: 'https://hooks.example.com/x', events: ['run.exploded'] }, 'events'],
      [{ url: 'https://hooks.example.com/x', events: [] }, 'events'],
      [{ url: 'https://hooks.example.com/x', events: ['run.failed'], taskId: 'not-a-uuid' }, 'taskId'],
      [{ url: 'https://hooks.example.com/x', events: ['run.failed'], secret: 'whsec_mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await rest.post('/api/v1/webhooks', body);
      expect(res.status).toBe(400);
      expect((res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(field);
    }
    // the cloud metadata address: refused as a connector's baseUrl is (OUTBOUND_ALLOWED_NETWORKS lists only loopback here)
    const metadata = await rest.post('/api/v1/webhooks', { url: 'http://169.254.169.254/latest', events: ['run.failed'] });
    expect(metadata.status).toBe(422);
    expect(metadata.text).toContain('OUTBOUND_ALLOWED_NETWORKS');
    const noTask = await rest.post('/api/v1/webhooks', { url: `${receiver.url}/x`, events: ['run.failed'], taskId: randomUUID() });
    expect(noTask.status).toBe(422);
  });
});

describe('run events of real runs', () => {
  it('run.started and run.succeeded, signed; a redelivery sends the same event again with the same webhook-id', async () => {
    const scim = await scimServers.start({ users: 5, groups: 0 });
    const taskId = await smallTask(scim, 'ok');
    const sub = await subscribe({ url: `${receiver.url}/ok`, events: ['run.started', 'run.succeeded'], taskId });
    const run = await rest.runToEnd(taskId);
    expect(run.status).toBe('succeeded');

    const [succeeded] = await eventually(async () => arrived('/ok', sub.secret!, 'run.succeeded', run.id), 20_000);
    expect(succeeded.event.data).toMatchObject({ runId: run.id, taskId, status: 'succeeded', stats: { fetched: 5, created: 5 } });
    expect(succeeded.request.headers['webhook-signature']).toMatch(/^v1,/);
    expect(verified('/ok', sub.secret!, 'run.started', run.id)).toHaveLength(1);
    // ids, status and counts: no user name or password of the connector, no record
    expect(succeeded.request.body).not.toContain(PASSWORD);
    expect(succeeded.request.body).not.toContain(scim.admin.listUserIds()[0]);

    const history = await eventually(async () => {
      const items = await deliveries(sub.id);
      return items.length === 2 && items.every((d) => d.status === 'succeeded') ? items : undefined;
    });
    const delivered = history.find((d) => d.eventType === 'run.succeeded')!;
    expect(delivered.attempts).toMatchObject([{ attempt: 1, statusCode: 200, nextRetryAt: null }]);

    const again = await rest.post(`/api/v1/webhooks/${sub.id}/deliveries/${delivered.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ eventId: delivered.eventId, eventType: 'run.succeeded', redeliveryOf: delivered.id });
    const twice = await eventually(async () => {
      const got = verified('/ok', sub.secret!, 'run.succeeded', run.id);
      return got.length === 2 ? got : undefined;
    });
    expect(twice[1].request.headers['webhook-id']).toBe(twice[0].request.headers['webhook-id']);
    const newest = await eventually(async () => {
      const items = await deliveries(sub.id);
      return items[0]?.id === (again.body as Delivery).id && items[0].status === 'succeeded' ? items : undefined;
    });
    expect(newest).toHaveLength(3);
  });

  it('run.failed of a run whose connector has a wrong password, signed', async () => {
    const scim = await scimServers.start({ users: 2, groups: 0 });
    const taskId = await smallTask(scim, 'fail', `wrong-${randomUUID()}`);
    const sub = await subscribe({ url: `${receiver.url}/failed`, events: ['run.failed'], taskId });
    const run = await rest.runToEnd(taskId);
    expect(run).toMatchObject({ status: 'failed', error: { type: 'ScimAuthError' } });
    const [failed] = await eventually(async () => arrived('/failed', sub.secret!, 'run.failed', run.id), 20_000);
    expect(failed.event.data).toMatchObject({ runId: run.id, taskId, status: 'failed', error: { type: 'ScimAuthError' } });
    expect(failed.event.data.error).toEqual({ type: 'ScimAuthError' });
  });

  it('run.awaitingRemovalApproval when removals exceed the threshold, then run.removalsApplied once approved', async () => {
    const scim = await scimServers.start({ users: 20, groups: 0 });
    const taskId = await smallTask(scim, 'thr');
    expect(await rest.runToEnd(taskId)).toMatchObject({ status: 'succeeded' });
    const sub = await subscribe({ url: `${receiver.url}/removals`, events: ['run.awaitingRemovalApproval', 'run.removalsApplied'], taskId });
    for (const id of scim.admin.listUserIds().filter((_, i) => i % 2 === 0)) await scim.admin.deleteUser(id);
    const started = await rest.runNow(taskId);
    const pending = await rest.waitRun(started.id, (r) => r.removal?.state === 'awaitingApproval' || r.status !== 'running');
    expect(pending.removal?.state).toBe('awaitingApproval');

    const [waiting] = await eventually(async () => arrived('/removals', sub.secret!, 'run.awaitingRemovalApproval', pending.id), 20_000);
    expect(waiting.event.data).toMatchObject({ runId: pending.id, status: 'running', removal: { state: 'awaitingApproval', total: 10 } });

    expect((await rest.post(`/api/v1/runs/${pending.id}/approve-removals`)).status).toBe(202);
    expect(await rest.waitRun(pending.id)).toMatchObject({ status: 'succeeded', stats: { removed: 10 } });
    const [applied] = await eventually(async () => arrived('/removals', sub.secret!, 'run.removalsApplied', pending.id), 20_000);
    expect(applied.event.data.removal).toMatchObject({ state: 'applied', removed: 10 });
    expect(verified('/removals', sub.secret!, 'run.awaitingRemovalApproval', pending.id)).toHaveLength(1);
  });
});

describe('durable delivery', () => {
  it('a receiver that answers 500 three times, then 200, gets the event once as a success, across a worker restart', async () => {
    const scim = await scimServers.start({ users: 3, groups: 0 });
    const taskId = await smallTask(scim, 'flaky');
    receiver.on('/flaky', ({ nth }) => (nth <= 3 ? 500 : 200));
    const sub = await subscribe({ url: `${receiver.url}/flaky`, events: ['run.succeeded'], taskId });
    const run = await rest.runToEnd(taskId);
    expect(run.status).toBe('succeeded');

    // the first attempt failed: the worker goes away, and another one takes over the retries
    await eventually(async () => receiver.at('/flaky').length >= 1, 20_000, 50);
    await stack.worker.stop();
    const replacement = await stack.startWorker();
    try {
      const delivery = await eventually(async () => {
        const [d] = await deliveries(sub.id);
        return d?.status === 'succeeded' ? d : undefined;
      }, 60_000, 250);
      expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 200]);
      expect(delivery.attempts.slice(0, 3).every((a) => a.nextRetryAt !== null)).toBe(true);
      expect(delivery.attempts[3].nextRetryAt).toBeNull();
      const got = receiver.at('/flaky');
      expect(got.map((r) => r.answered)).toEqual([500, 500, 500, 200]);
      expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(verified('/flaky', sub.secret!, 'run.succeeded', run.id).filter((v) => v.request.answered === 200)).toHaveLength(1);
    } finally {
      // later tests run on the replacement; the stack stops it
      void replacement;
    }
  });

  it('a slow or dead receiver neither delays nor fails a run', async () => {
    const scim = await scimServers.start({ users: 10, groups: 0 });
    const quiet = await smallTask(scim, 'quiet');
    const hooked = await smallTask(scim, 'hooked');
    const usual = await rest.runToEnd(quiet);
    expect(usual.status).toBe('succeeded');

    receiver.on('/slow', () => 'hang');
    const dead = await startWebhookReceiver();
    const deadUrl = `${dead.url}/gone`;
    await dead.close();
    const slow = await subscribe({ url: `${receiver.url}/slow`, events: ['run.started', 'run.succeeded'], taskId: hooked });
    const gone = await subscribe({ url: deadUrl, events: ['run.started', 'run.succeeded', 'run.failed'], taskId: hooked });
    try {
      const run: RunBody = await rest.runToEnd(hooked);
      expect(run).toMatchObject({ status: 'succeeded', stats: { created: 10 } });
      const took = (r: RunBody) => Date.parse(r.finishedAt!) - Date.parse((r as RunBody & { startedAt: string }).startedAt);
      // about its usual time: far below one POST timeout (10 s) of the slow receiver
      expect(took(run)).toBeLessThan(took(usual) + 5_000);

      // the dead receiver's attempts are recorded with their error and the next retry
      const failing = await eventually(async () => {
        const items = await deliveries(gone.id);
        return items.length === 2 && items.every((d) => d.status === 'retrying' && d.attempts.length > 0) ? items : undefined;
      }, 20_000);
      for (const d of failing) {
        expect(d.attempts[0]).toMatchObject({ attempt: 1, statusCode: null });
        expect(d.attempts[0].error).toMatch(/ECONNREFUSED|connect/i);
        expect(d.nextRetryAt).not.toBeNull();
      }
    } finally {
      // deliveries to a deleted subscription stop at their next attempt
      await api.http().delete(`/api/v1/webhooks/${slow.id}`).set(rest.auth());
      await api.http().delete(`/api/v1/webhooks/${gone.id}`).set(rest.auth());
    }
  });
});

describe('no event is lost', () => {
  it('a run closed without its event gets it late, and a delivery Temporal never took is started by the sweep', async () => {
    const scim = await scimServers.start({ users: 2, groups: 0 });
    const taskId = await smallTask(scim, 'sweep');
    const sub = await subscribe({ url: `${receiver.url}/sweep`, events: ['run.succeeded'], taskId });
    const run = await rest.runToEnd(taskId);
    await eventually(async () => arrived('/sweep', sub.secret!, 'run.succeeded', run.id), 20_000);
    const sweeper = api.app.get(WebhookSweepService);
    const webhooks = api.app.get(WebhooksService);

    // the activity died after its commit, before it recorded the event: the sweep records and delivers it
    await stack.ds.query(`DELETE FROM webhook_event WHERE run_id = $1`, [run.id]);
    expect((await sweeper.sweep({ graceMs: 0 })).emitted).toBeGreaterThanOrEqual(1);
    await eventually(async () => (verified('/sweep', sub.secret!, 'run.succeeded', run.id).length === 2 ? true : undefined), 20_000);

    // Temporal was unreachable when the event was emitted: the delivery waits, unstarted, for the sweep
    await stack.ds.query(`DELETE FROM webhook_event WHERE run_id = $1`, [run.id]);
    await emitRunEvent({ ...webhooks.eventDeps(), client: () => undefined }, run.id, 'run.succeeded');
    const [waiting] = await deliveries(sub.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: [] });
    expect((await sweeper.sweep({ graceMs: 0 })).started).toBeGreaterThanOrEqual(1);
    const delivered = await eventually(async () => {
      const [d] = await deliveries(sub.id);
      return d?.id === waiting.id && d.status === 'succeeded' ? d : undefined;
    }, 20_000);
    expect(delivered.attempts).toMatchObject([{ attempt: 1, statusCode: 200 }]);
    expect(verified('/sweep', sub.secret!, 'run.succeeded', run.id)).toHaveLength(3);
  });
});
