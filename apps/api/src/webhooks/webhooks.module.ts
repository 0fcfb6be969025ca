import { Module } from '@nestjs/common';
import { WebhookSweepService } from './webhook-sweep.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookSweepService],
  exports: [WebhooksService],
})
export class WebhooksModule {}
