import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ApiTokenRepository, Db } from '@app/persistence';
import { syncBootstrapToken } from './auth/api-tokens';
import { TasksService } from './tasks/tasks.service';

/** Start-up duties of the API: the bootstrap admin token and reconciling task schedules with Temporal. */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('bootstrap');

  constructor(
    private readonly db: Db,
    private readonly tokens: ApiTokenRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tasks: TasksService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // only the configured API_TOKEN may act as bootstrap admin token; a replaced one stops working now
    const { revoked } = await syncBootstrapToken(this.db, this.tokens, this.config.apiToken);
    if (this.config.apiToken) this.logger.log('bootstrap admin token from API_TOKEN is active');
    if (revoked > 0) {
      this.logger.warn(`revoked ${revoked} earlier bootstrap admin token(s): ${this.config.apiToken ? 'API_TOKEN has changed' : 'API_TOKEN is no longer set'}`);
    }
    try {
      await this.tasks.reconcileSchedules();
    } catch (err) {
      // the API still serves; the next start (or a task update) repairs the schedules
      this.logger.error(`schedule reconciliation failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
