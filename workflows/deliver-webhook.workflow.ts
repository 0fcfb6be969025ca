/**
 * One webhook delivery (docs/api.md, "Run events (webhooks)"): the deliverWebhook activity POSTs
 * the signed event and records each attempt; Temporal retries it with a doubling wait for as long
 * as the schedule says (25 h), across worker and API restarts. A delivery that still failed then
 * stays failed in the delivery history; the workflow itself ends without failing, so nothing
 * else waits on it. Deterministic code only: @temporalio/workflow and `import type`.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { WebhookActivities } from '../libs/import/src/run-events/webhook-activities';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from '../libs/temporal/src/contracts';

/** Delivers one event to one subscription; `failed` when every attempt in the retry window failed. */
export async function deliverWebhookWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult | { status: 'failed' }> {
  const { deliverWebhook } = proxyActivities<WebhookActivities>({
    // one POST (10 s) and the bookkeeping around it
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: input.retry.scheduleToCloseMs,
    retry: {
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: input.retry.backoffCoefficient,
      maximumInterval: input.retry.maximumIntervalMs,
      nonRetryableErrorTypes: ['WebhookDeliveryGaveUp'],
    },
  });
  try {
    return await deliverWebhook(input);
  } catch (err) {
    if (err instanceof ActivityFailure) return { status: 'failed' };
    throw err;
  }
}
