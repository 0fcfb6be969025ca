import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.view';
import { IdPipe } from '../common/uuid.pipe';
import { CreateWebhookDto, UpdateWebhookDto } from './webhook.dto';
import { RunEventView, WebhookDeliveryPageView, WebhookDeliveryView, WebhookListView, WebhookView, WebhookWithSecretView } from './webhook.view';
import { WebhooksService } from './webhooks.service';

const URL_REFUSED = [422, 'url reaches a loopback, link-local or cloud metadata address that OUTBOUND_ALLOWED_NETWORKS does not allow, or taskId names no task'] as [number, string];

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiProblems(401)
@ApiExtraModels(RunEventView)
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to run events',
    description: 'Events are POSTed as `RunEventView`, signed per Standard Webhooks (docs/api.md, "Run events (webhooks)"). The answer carries the signing `secret`, the only time it is shown.',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretView })
  @ApiProblems(400, 403, URL_REFUSED)
  create(@Body() dto: CreateWebhookDto) {
    return this.webhooks.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'All webhook subscriptions (never their secrets)' })
  @ApiOkResponse({ type: WebhookListView })
  list() {
    return this.webhooks.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookView })
  @ApiProblems(404)
  async get(@Param('id', new IdPipe('webhook')) id: string) {
    return this.webhooks.view(await this.webhooks.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a subscription\'s URL, event types, task filter or enabled flag' })
  @ApiOkResponse({ type: WebhookView })
  @ApiProblems(400, 403, 404, URL_REFUSED)
  update(@Param('id', new IdPipe('webhook')) id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription with its delivery history; deliveries under way stop' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiProblems(403, 404)
  async remove(@Param('id', new IdPipe('webhook')) id: string): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace the signing secret; the answer shows the new one, once' })
  @ApiOkResponse({ type: WebhookWithSecretView })
  @ApiProblems(403, 404)
  rotateSecret(@Param('id', new IdPipe('webhook')) id: string) {
    return this.webhooks.rotateSecret(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The subscription\'s deliveries, newest first, each with its attempts (status code or error, duration) and next retry' })
  @ApiOkResponse({ type: WebhookDeliveryPageView })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, description: '`nextCursor` of the previous page' })
  @ApiProblems(400, 404)
  deliveries(@Param('id', new IdPipe('webhook')) id: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    return this.webhooks.deliveryPage(id, { limit, cursor });
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a delivery\'s event again, as a new delivery (same `webhook-id`, fresh signature and retries)' })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  @ApiProblems(403, 404)
  redeliver(@Param('id', new IdPipe('webhook')) id: string, @Param('deliveryId', new IdPipe('delivery')) deliveryId: string) {
    return this.webhooks.redeliver(id, deliveryId);
  }
}
