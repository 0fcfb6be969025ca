import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RUN_EVENT_TYPES, type RunEventType, type WebhookDeliveryStatus } from '@app/persistence';
import { PerKindView, RunStatsView } from '../runs/run.view';

const DELIVERY_STATUSES: WebhookDeliveryStatus[] = ['pending', 'retrying', 'succeeded', 'failed'];

/** A subscription as shown: never its secret. */
export class WebhookView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://hooks.example.com/scim-import' }) url: string;
  @ApiProperty({ enum: RUN_EVENT_TYPES, isArray: true }) events: RunEventType[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'only runs of this task; null: every task' }) taskId: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

/** The answer to create and rotate-secret: the one time the signing secret is shown. */
export class WebhookWithSecretView extends WebhookView {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'the Standard Webhooks signing secret; shown only in this answer (store it now), never by GET',
  })
  secret: string;
}

export class WebhookListView {
  @ApiProperty({ type: [WebhookView] }) items: WebhookView[];
  @ApiProperty() total: number;
}

/** One POST of a delivery. */
export class WebhookAttemptView {
  @ApiProperty({ description: '1 for the first POST of this delivery' }) attempt: number;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: Number, nullable: true, description: 'the receiver\'s HTTP status; null when no answer came' }) statusCode: number | null;
  @ApiPropertyOptional({ description: 'why no answer came (refused, timed out, address not allowed, …)' }) error?: string;
  @ApiProperty() durationMs: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when the next attempt is due; null after a success or the last attempt' }) nextRetryAt: string | null;
}

/** One event sent to one subscription, with every attempt. */
export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'the event, also sent as the `webhook-id` header (the same on every retry and redelivery)' }) eventId: string;
  @ApiProperty({ enum: RUN_EVENT_TYPES }) eventType: RunEventType;
  @ApiProperty({ format: 'uuid' }) runId: string;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description: '`pending`: not tried yet; `retrying`: failed, another attempt is due at `nextRetryAt`; `succeeded`: a 2xx answer; `failed`: every attempt of the retry window failed',
  })
  status: WebhookDeliveryStatus;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextRetryAt: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the delivery this one redelivers' }) redeliveryOf: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: [WebhookAttemptView] }) attempts: WebhookAttemptView[];
}

export class WebhookDeliveryPageView {
  @ApiProperty({ type: [WebhookDeliveryView], description: 'newest first' }) items: WebhookDeliveryView[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page' }) nextCursor: string | null;
}

/** The removal reconciliation of the run: states and counts only. */
export class RunEventRemovalView {
  @ApiProperty({ example: 'awaitingApproval' }) state: string;
  @ApiPropertyOptional() total?: number;
  @ApiPropertyOptional({ type: PerKindView }) candidates?: PerKindView;
  @ApiPropertyOptional() removed?: number;
  @ApiPropertyOptional({ example: 'withinThreshold' }) decision?: string;
  @ApiPropertyOptional({ format: 'date-time' }) decisionDeadline?: string;
}

export class RunEventErrorView {
  @ApiProperty({ example: 'ScimAuthError', description: 'the failure\'s type; its message stays in GET /runs/:id' }) type: string;
}

/** `data` of a run event: ids, status and counts, never secrets or record attributes. */
export class RunEventDataView {
  @ApiProperty({ format: 'uuid' }) runId: string;
  @ApiProperty({ format: 'uuid' }) taskId: string;
  @ApiProperty({ type: String, nullable: true }) taskName: string | null;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed', 'cancelled', 'terminated', 'timedOut'] }) status: string;
  @ApiProperty({ enum: ['full', 'incremental'] }) mode: string;
  @ApiProperty({ enum: ['schedule', 'manual', 'retry'] }) trigger: string;
  @ApiProperty() dryRun: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) retryOf: string | null;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: RunStatsView }) stats: RunStatsView;
  @ApiPropertyOptional({ type: RunEventErrorView, description: 'run.failed' }) error?: RunEventErrorView;
  @ApiPropertyOptional({ type: RunEventRemovalView }) removal?: RunEventRemovalView;
}

/**
 * The JSON body POSTed to a subscription's URL (Standard Webhooks), with the headers `webhook-id`
 * (the event id), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`).
 */
export class RunEventView {
  @ApiProperty({ enum: RUN_EVENT_TYPES }) type: RunEventType;
  @ApiProperty({ format: 'date-time', description: 'when the run reached the state (closing events: when it closed)' }) timestamp: string;
  @ApiProperty({ type: RunEventDataView }) data: RunEventDataView;
}
