import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/uuid.pipe';
import { badRequest } from '../common/problem';
import { OUTCOMES, RunsService } from './runs.service';
import { RunActionsService } from './runs-actions.service';
import { RetryRunDto } from './run.dto';

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly actions: RunActionsService,
  ) {}

  @Get(':id')
  @ApiOperation({ summary: 'A run with live counts, phase, extract completeness and a Temporal UI link' })
  get(@Param('id', new IdPipe('run')) id: string) {
    return this.runs.get(id);
  }

  @Get(':id/records')
  @ApiOperation({ summary: 'Per-record outcomes of a run' })
  @ApiQuery({ name: 'outcome', required: false, enum: OUTCOMES })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  records(@Param('id', new IdPipe('run')) id: string, @Query('outcome') outcome?: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw badRequest('invalid limit', [{ field: 'limit', message: 'limit must be an integer 1-1000' }]);
    return this.runs.records(id, outcome, n, cursor);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry a failed, cancelled, terminated or timed-out run: "resume" resets the workflow to just before the failed or cancelled step (failed and cancelled runs, within the staging resume window); "restart" starts anew. 409 otherwise.' })
  retry(@Param('id', new IdPipe('run')) id: string, @Body() dto: RetryRunDto) {
    return this.actions.retry(id, dto.strategy);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a running run; committed batches stay, nothing is half-applied' })
  async cancel(@Param('id', new IdPipe('run')) id: string): Promise<{ id: string; status: string }> {
    await this.actions.cancel(id);
    return { id, status: 'cancelling' };
  }

  @Post(':id/approve-removals')
  @HttpCode(202)
  @ApiOperation({ summary: 'Approve the removals a run computed above the safety threshold; exactly that set is applied' })
  approveRemovals(@Param('id', new IdPipe('run')) id: string) {
    return this.actions.decideRemovals(id, true);
  }

  @Post(':id/reject-removals')
  @HttpCode(202)
  @ApiOperation({ summary: 'Reject the pending removals; the run finishes without removing anything' })
  rejectRemovals(@Param('id', new IdPipe('run')) id: string) {
    return this.actions.decideRemovals(id, false);
  }
}
