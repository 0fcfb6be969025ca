import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  Db,
  ImportTaskRepository,
  SecretBox,
  WebhookAttemptRepository,
  WebhookDeliveryRepository,
  WebhookSubscriptionRepository,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookSubscriptionFields,
  type WebhookSubscriptionRow,
} from '@app/persistence';
import { startDeliveries, type RunEventDeps, type SealedWebhookSecret } from '@app/import';
import { ALLOW_HINT, OutboundAddressPolicy } from '@app/scim';
import { TEMPORAL_CLIENT } from '@app/temporal';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { badRequest, notFound, unprocessable } from '../common/problem';
import type { CreateWebhookDto, UpdateWebhookDto } from './webhook.dto';
import type { WebhookAttemptView, WebhookDeliveryPageView, WebhookDeliveryView, WebhookListView, WebhookView, WebhookWithSecretView } from './webhook.view';

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

/** A new Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function isDeliveryCursor(v: unknown): v is { createdAt: string; id: string } {
  const c = v as { createdAt?: unknown; id?: unknown } | null;
  return !!c && typeof c.createdAt === 'string' && !Number.isNaN(Date.parse(c.createdAt)) && typeof c.id === 'string' && /^[0-9a-f-]{36}$/i.test(c.id);
}

/** Webhook subscriptions (secrets shown once, sealed at rest), their delivery history and redelivery. */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger('webhooks');
  private readonly addresses: OutboundAddressPolicy;

  constructor(
    private readonly subscriptions: WebhookSubscriptionRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly attempts: WebhookAttemptRepository,
    private readonly tasks: ImportTaskRepository,
    private readonly box: SecretBox,
    private readonly db: Db,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.addresses = new OutboundAddressPolicy(config.outboundAllowedNetworks);
  }

  /** What starting delivery workflows needs (the sweep uses the same). */
  eventDeps(): RunEventDeps {
    return { db: this.db, client: () => this.client, taskQueue: this.config.taskQueue, retryInitialMs: this.config.webhookRetryInitialMs, logger: this.logger };
  }

  view(s: WebhookSubscriptionRow): WebhookView {
    return { id: s.id, url: s.url, events: s.events, taskId: s.taskId, enabled: s.enabled, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
  }

  /**
   * 422 when the URL reaches an address the deployment does not allow, the same rule as a
   * connector's baseUrl (a webhook is a request the server makes on someone's behalf); the
   * delivery checks again at every connection, so a name that changes later is still refused.
   */
  private async checkUrl(url: string | undefined): Promise<void> {
    const refusal = url === undefined ? undefined : await this.addresses.refusalForUrl(url);
    if (refusal) throw unprocessable(`the webhook would reach an address that is not allowed: url: ${refusal}; ${ALLOW_HINT}`, [{ field: 'url', message: `url: ${refusal}; ${ALLOW_HINT}` }]);
  }

  private async checkTask(taskId: string | null | undefined): Promise<void> {
    if (!taskId) return;
    if (!(await this.tasks.get(taskId))) throw unprocessable(`task ${taskId} does not exist`, [{ field: 'taskId', message: `task ${taskId} does not exist` }]);
  }

  async get(id: string): Promise<WebhookSubscriptionRow> {
    const s = await this.subscriptions.get(id);
    if (!s) throw notFound(`webhook ${id} not found`);
    return s;
  }

  async list(): Promise<WebhookListView> {
    const rows = await this.subscriptions.list();
    return { items: rows.map((r) => this.view(r)), total: rows.length };
  }

  async create(dto: CreateWebhookDto): Promise<WebhookWithSecretView> {
    await this.checkUrl(dto.url);
    await this.checkTask(dto.taskId);
    const secret = newSecret();
    const sealed: SealedWebhookSecret = { secret };
    const row = await this.subscriptions.insert({ url: dto.url, events: dto.events, taskId: dto.taskId ?? null, enabled: dto.enabled ?? true, secretCiphertext: this.box.seal(sealed) });
    return { ...this.view(row), secret };
  }

  async update(id: string, dto: UpdateWebhookDto): Promise<WebhookView> {
    const current = await this.get(id);
    await this.checkUrl(dto.url);
    if (dto.taskId !== undefined) await this.checkTask(dto.taskId);
    const fields: WebhookSubscriptionFields = {
      url: dto.url ?? current.url,
      events: dto.events ?? current.events,
      taskId: dto.taskId === undefined ? current.taskId : dto.taskId,
      enabled: dto.enabled ?? current.enabled,
      secretCiphertext: current.secretCiphertext,
    };
    const row = await this.subscriptions.update(id, fields);
    if (!row) throw notFound(`webhook ${id} not found`);
    return this.view(row);
  }

  async remove(id: string): Promise<void> {
    if (!(await this.subscriptions.delete(id))) throw notFound(`webhook ${id} not found`);
  }

  /** A new secret; deliveries signed from now on use it (an attempt already under way may still carry the old one). */
  async rotateSecret(id: string): Promise<WebhookWithSecretView> {
    const current = await this.get(id);
    const secret = newSecret();
    const sealed: SealedWebhookSecret = { secret };
    const row = await this.subscriptions.update(id, { ...current, secretCiphertext: this.box.seal(sealed) });
    if (!row) throw notFound(`webhook ${id} not found`);
    return { ...this.view(row), secret };
  }

  private deliveryView(d: WebhookDeliveryRow, attempts: WebhookAttemptRow[]): WebhookDeliveryView {
    return {
      id: d.id,
      eventId: d.eventId,
      eventType: d.eventType,
      runId: d.runId,
      status: d.status,
      nextRetryAt: d.nextRetryAt?.toISOString() ?? null,
      redeliveryOf: d.redeliveryOf,
      createdAt: d.createdAt.toISOString(),
      attempts: attempts.map(
        (a): WebhookAttemptView => ({
          attempt: a.attempt,
          at: a.at.toISOString(),
          statusCode: a.statusCode,
          ...(a.error ? { error: a.error } : {}),
          durationMs: a.durationMs,
          nextRetryAt: a.nextRetryAt?.toISOString() ?? null,
        }),
      ),
    };
  }

  /** The subscription's deliveries, newest first, with their attempts. */
  async deliveryPage(id: string, query: { limit?: string; cursor?: string }): Promise<WebhookDeliveryPageView> {
    await this.get(id);
    const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw badRequest('invalid limit', [{ field: 'limit', message: `limit must be an integer 1-${MAX_PAGE}` }]);
    const after = decodeCursor(query.cursor, isDeliveryCursor);
    const rows = await this.deliveries.page(id, limit + 1, after);
    const page = rows.slice(0, limit);
    const attempts = await this.attempts.ofDeliveries(page.map((d) => d.id));
    const last = page[page.length - 1];
    return {
      items: page.map((d) => this.deliveryView(d, attempts.filter((a) => a.deliveryId === d.id))),
      nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }

  /** The same event once more, as a new delivery with its own workflow (the sweep starts it if Temporal cannot now). */
  async redeliver(id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    await this.get(id);
    const of = await this.deliveries.get(id, deliveryId);
    if (!of) throw notFound(`delivery ${deliveryId} of webhook ${id} not found`);
    const created = await this.deliveries.insertRedelivery(of);
    await startDeliveries(this.eventDeps(), [created.id]);
    return this.deliveryView((await this.deliveries.get(id, created.id)) ?? created, []);
  }
}
