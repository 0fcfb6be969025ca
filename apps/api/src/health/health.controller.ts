import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthView } from './health.view';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import type { Client } from '@temporalio/client';
import { TEMPORAL_CLIENT } from '@app/temporal';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Public } from '../auth/auth.guard';
import { MetricsService } from './metrics.service';

type PartStatus = { status: 'up' | 'down'; latencyMs: number; error?: string };

async function probe(fn: () => Promise<unknown>): Promise<PartStatus> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 3000 ms')), 3000)))]);
    return { status: 'up', latencyMs: Date.now() - start };
  } catch (err) {
    return { status: 'down', latencyMs: Date.now() - start, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Database and Temporal reachability; 503 names the failing part' })
  @ApiOkResponse({ type: HealthView })
  @ApiServiceUnavailableResponse({ type: HealthView, description: '`failing` names the part that is down' })
  async health(@Res() res: Response): Promise<void> {
    const [database, temporal] = await Promise.all([
      probe(() => this.ds.query('SELECT 1')),
      probe(() => this.temporal.workflowService.describeNamespace({ namespace: this.config.temporalNamespace })),
    ]);
    const ok = database.status === 'up' && temporal.status === 'up';
    const down = [database.status === 'down' ? 'database' : '', temporal.status === 'down' ? 'temporal' : ''].filter(Boolean);
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({
      status: ok ? 'ok' : 'unavailable',
      ...(down.length ? { failing: down } : {}),
      checks: { database, temporal },
    });
  }

  @Public()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async prometheus(): Promise<string> {
    return this.metrics.render();
  }
}
