import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ensureBootstrapToken } from './auth/api-tokens';

/** Start-up duties of the API: the bootstrap admin token (schedule reconciliation joins later). */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('bootstrap');

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.apiToken) {
      await ensureBootstrapToken(this.ds, this.config.apiToken);
      this.logger.log('bootstrap admin token from API_TOKEN is active');
    }
  }
}
