import { Context } from '@temporalio/activity';
import type { Db, SecretBox } from '@app/persistence';
import { OutboundAddressPolicy } from '@app/scim';
import type { AppConfig } from '@app/config';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from '@app/temporal';
import { deliverWebhook, webhookAgent } from './deliver-webhook';

export interface WebhookActivityDeps {
  db: () => Db;
  secretBox: SecretBox;
  config: Pick<AppConfig, 'outboundAllowedNetworks'>;
}

/** The activity of workflows/deliver-webhook.workflow.ts, as a plain function (the worker registers it beside the import activities). */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  const addressPolicy = new OutboundAddressPolicy(deps.config.outboundAllowedNetworks);
  let agent: ReturnType<typeof webhookAgent> | undefined;
  return {
    /** One POST of a webhook delivery, recorded; throws for Temporal to retry it. */
    async deliverWebhook(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
      const info = Context.current().info;
      return deliverWebhook(
        { db: deps.db(), secretBox: deps.secretBox, addressPolicy, agent: (agent ??= webhookAgent(addressPolicy)) },
        input,
        { number: info.attempt, firstScheduledAtMs: info.scheduledTimestampMs },
      );
    },
  };
}

/** The webhook activity interface the delivery workflow proxies (types only). */
export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
