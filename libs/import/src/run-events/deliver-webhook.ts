import { ApplicationFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { WebhookAttemptRepository, WebhookDeliveryRepository, type Db, type SecretBox } from '@app/persistence';
import { guardedConnect, type OutboundAddressPolicy } from '@app/scim';
import type { WebhookDeliveryInput, WebhookDeliveryResult, WebhookRetrySchedule } from '@app/temporal';

/** A receiver gets this long to answer one POST; a slow one counts as a failed attempt. */
export const WEBHOOK_POST_TIMEOUT_MS = 10_000;

/** The sealed form of a subscription's signing secret. */
export interface SealedWebhookSecret {
  secret: string;
}

/** Which attempt of the delivery this is, as Temporal counts them. */
export interface DeliveryAttempt {
  number: number;
  /** when the first attempt was scheduled (the retry window starts there) */
  firstScheduledAtMs: number;
}

export interface WebhookDeliveryDeps {
  db: Db;
  secretBox: SecretBox;
  /** the deployment's outbound address rule (OUTBOUND_ALLOWED_NETWORKS), checked at every connection */
  addressPolicy: OutboundAddressPolicy;
  /** the agent the POSTs go through (webhookAgent) */
  agent: Agent;
  now?: () => number;
}

/** An undici agent whose sockets obey the address policy and the POST timeout. */
export function webhookAgent(addressPolicy: OutboundAddressPolicy, timeoutMs = WEBHOOK_POST_TIMEOUT_MS): Agent {
  return new Agent({ connect: guardedConnect(addressPolicy, { timeout: timeoutMs }), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
}

/**
 * The wait before attempt `attempt + 1` under the workflow's retry policy, or undefined when that
 * attempt would start after the retry window closed (this was the last one).
 */
export function nextRetryDelayMs(retry: WebhookRetrySchedule, attempt: DeliveryAttempt, nowMs: number): number | undefined {
  const delay = Math.min(retry.initialIntervalMs * retry.backoffCoefficient ** (attempt.number - 1), retry.maximumIntervalMs);
  return nowMs + delay < attempt.firstScheduledAtMs + retry.scheduleToCloseMs ? delay : undefined;
}

/** The Standard Webhooks headers of one POST; the id is the event's, the same on every retry and redelivery. */
export function signedHeaders(secret: string, messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'scim-import-webhooks/1',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, body),
  };
}

/** Error text of a failed POST without anything the URL carried (its path or query could hold a token). */
function failureText(err: unknown, url: string): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const m = e instanceof Error ? `${e.message}${(e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : ''}` : String(e);
    if (!parts.includes(m)) parts.push(m);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(': ').split(url).join('<url>').slice(0, 500);
}

/**
 * One attempt of a delivery: POSTs the event's payload, signed with the subscription's secret, and
 * records the attempt (status code or error, how long, when the next is due). A 2xx answer ends
 * the delivery; anything else throws a retryable failure whose delay follows the retry schedule,
 * or, on the last attempt of the window, a non-retryable one and the delivery is failed. A
 * delivery whose subscription was deleted or disabled meanwhile is skipped.
 */
export async function deliverWebhook(deps: WebhookDeliveryDeps, input: WebhookDeliveryInput, attempt: DeliveryAttempt): Promise<WebhookDeliveryResult> {
  const now = deps.now ?? Date.now;
  const deliveries = new WebhookDeliveryRepository(deps.db);
  const attempts = new WebhookAttemptRepository(deps.db);
  const target = await deliveries.target(input.deliveryId);
  if (!target) return { status: 'skipped' };
  if (!target.enabled) {
    await attempts.record({ deliveryId: input.deliveryId, attempt: attempt.number, statusCode: null, error: 'the subscription is disabled', durationMs: 0, nextRetryAt: null });
    await deliveries.setStatus(input.deliveryId, 'failed', null);
    return { status: 'skipped' };
  }

  const body = JSON.stringify(target.event.payload);
  const started = now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const { secret } = deps.secretBox.open<SealedWebhookSecret>(target.secretCiphertext);
    const res = await request(target.url, {
      method: 'POST',
      headers: signedHeaders(secret, target.event.id, new Date(started), body),
      body,
      dispatcher: deps.agent,
      signal: AbortSignal.timeout(WEBHOOK_POST_TIMEOUT_MS),
    });
    statusCode = res.statusCode;
    // the answer's body is not read: drop it (bounded) so the socket can be reused
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
  } catch (err) {
    error = failureText(err, target.url);
  }
  const durationMs = Math.max(0, Math.round(now() - started));
  const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
  if (ok) {
    if (!(await attempts.record({ deliveryId: input.deliveryId, attempt: attempt.number, statusCode, error: null, durationMs, nextRetryAt: null }))) return { status: 'skipped' };
    await deliveries.setStatus(input.deliveryId, 'succeeded', null);
    return { status: 'succeeded', statusCode: statusCode as number };
  }
  const delay = nextRetryDelayMs(input.retry, attempt, now());
  const nextRetryAt = delay === undefined ? null : new Date(now() + delay);
  // the subscription was deleted while this attempt ran: nothing to retry for
  if (!(await attempts.record({ deliveryId: input.deliveryId, attempt: attempt.number, statusCode, error, durationMs, nextRetryAt }))) return { status: 'skipped' };
  await deliveries.setStatus(input.deliveryId, delay === undefined ? 'failed' : 'retrying', nextRetryAt);
  const why = statusCode !== null ? `the receiver answered ${statusCode}` : `no answer: ${error}`;
  if (delay === undefined) throw ApplicationFailure.nonRetryable(`webhook delivery ${input.deliveryId} failed for good: ${why}`, 'WebhookDeliveryGaveUp');
  throw ApplicationFailure.create({ message: `webhook delivery ${input.deliveryId} attempt ${attempt.number}: ${why}`, type: 'WebhookDeliveryFailed', nextRetryDelay: delay });
}
