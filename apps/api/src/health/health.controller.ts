import { Controller, Get, Header, HttpStatus, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthView } from './health.view';
import type { Request, Response } from 'express';
import { ApiTokenRepository, DatabaseProbe } from '@app/persistence';
import type { Client } from '@temporalio/client';
import { TEMPORAL_CLIENT } from '@app/temporal';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { Public } from '../auth/auth.guard';
import { lookupToken } from '../auth/api-tokens';
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
    private readonly database: DatabaseProbe,
    private readonly tokens: ApiTokenRepository,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Database and Temporal reachability; 503 names the failing part. Without a token only up/down per part; with a valid token also latency and error text' })
  @ApiOkResponse({ type: HealthView })
  @ApiServiceUnavailableResponse({ type: HealthView, description: '`failing` names the part that is down' })
  async health(@Req() req: Request, @Res() res: Response): Promise<void> {
    const [database, temporal] = await Promise.all([
      probe(() => this.database.ping()),
      probe(() => this.temporal.workflowService.describeNamespace({ namespace: this.config.temporalNamespace })),
    ]);
    const ok = database.status === 'up' && temporal.status === 'up';
    const down = [database.status === 'down' ? 'database' : '', temporal.status === 'down' ? 'temporal' : ''].filter(Boolean);
    // error texts name hosts, ports and namespaces: only callers with a token see them
    const detailed = await this.hasValidToken(req, database.status === 'up');
    const brief = (p: PartStatus) => ({ status: p.status });
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({
      status: ok ? 'ok' : 'unavailable',
      ...(down.length ? { failing: down } : {}),
      checks: detailed ? { database, temporal } : { database: brief(database), temporal: brief(temporal) },
    });
  }

  private async hasValidToken(req: Request, databaseUp: boolean): Promise<boolean> {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match || !databaseUp) return false;
    return (await lookupToken(this.tokens, match[1]).catch(() => undefined)) !== undefined;
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
