import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { DELIVER_WEBHOOK_WORKFLOW, webhookDeliveryWorkflowId } from './constants';
import type { WebhookDeliveryInput, WebhookRetrySchedule } from './contracts';

/**
 * Failed deliveries are tried again with a doubling wait, at most an hour apart, for 25 hours:
 * a receiver that is down for a day still gets the event. The first wait is the deployment's
 * (WEBHOOK_RETRY_INITIAL_SECONDS).
 */
export function webhookRetrySchedule(initialIntervalMs: number): WebhookRetrySchedule {
  return { initialIntervalMs, backoffCoefficient: 2, maximumIntervalMs: 3_600_000, scheduleToCloseMs: 25 * 3_600_000 };
}

/**
 * The one place a webhook delivery's workflow starts: id `webhook-<deliveryId>`, never reused, so
 * a second start of the same delivery (an activity retry, the sweep) is refused and counts as
 * started. Resolves once Temporal has the workflow.
 */
export async function startWebhookDelivery(client: Client, taskQueue: string, deliveryId: string, retryInitialMs: number): Promise<'started' | 'alreadyStarted'> {
  const input: WebhookDeliveryInput = { deliveryId, retry: webhookRetrySchedule(retryInitialMs) };
  try {
    await client.workflow.start(DELIVER_WEBHOOK_WORKFLOW, {
      workflowId: webhookDeliveryWorkflowId(deliveryId),
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      // the activity's own schedule-to-close bounds the delivery; this only catches a stuck workflow
      workflowExecutionTimeout: '26h',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'alreadyStarted';
    throw err;
  }
}
