import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { sweepWebhookDeliveries, type WebhookSweepResult } from '@app/import';
import { WebhooksService } from './webhooks.service';

/** How often the API catches up run events and delivery starts that were left behind. */
const SWEEP_INTERVAL_MS = 30_000;

/**
 * No run event is lost to a crash or to Temporal being briefly unreachable: on a timer, closing
 * events that were never recorded are recorded, and deliveries whose workflow never started are
 * started (libs/import/src/run-events/webhook-sweep.ts). Several API instances may sweep at once:
 * every step is idempotent.
 */
@Injectable()
export class WebhookSweepService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('webhooks');
  private timer?: NodeJS.Timeout;
  private pass?: Promise<unknown>;
  private stopped = false;

  constructor(private readonly webhooks: WebhooksService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.background(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** Before the Temporal client closes (onApplicationShutdown): a pass must not start workflows on a closed connection. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pass?.catch(() => undefined);
  }

  private background(): void {
    if (this.pass || this.stopped) return;
    this.pass = this.sweep()
      .catch((err: unknown) => this.logger.warn(`webhook sweep failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.pass = undefined));
  }

  /** One pass; a test may shorten the grace left to the emitting activity. */
  async sweep(options: { graceMs?: number } = {}): Promise<WebhookSweepResult> {
    const result = await sweepWebhookDeliveries(this.webhooks.eventDeps(), options);
    if (result.emitted || result.started) this.logger.log(`webhook sweep: ${result.emitted} closing event(s) recorded late, ${result.started} delivery workflow(s) started late`);
    return result;
  }
}
