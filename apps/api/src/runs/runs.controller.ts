import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.view';
import { RUN_STATUSES, RunCancelView, RunPageView, RunRecordPageView, RunView } from './run.view';
import { IdPipe } from '../common/uuid.pipe';
import { badRequest } from '../common/problem';
import { OUTCOMES, RunsService } from './runs.service';
import { RunActionsService } from './runs-actions.service';
import { RetryRunDto } from './run.dto';

@ApiTags('runs')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly actions: RunActionsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Runs of every task, newest first, filtered and paged in the database',
    description: 'Each filter narrows the list; `startedAfter`/`startedBefore` are ISO times (inclusive/exclusive). Pass `nextCursor` as `cursor` for the next page. A bad value, or a parameter that is not a filter, is a 400 naming it.',
  })
  @ApiOkResponse({ type: RunPageView })
  @ApiProblems(400)
  @ApiQuery({ name: 'taskId', required: false, type: String, description: 'runs of this task (UUID)' })
  @ApiQuery({ name: 'connectorId', required: false, type: String, description: "runs of this connector's tasks (UUID)" })
  @ApiQuery({ name: 'status', required: false, enum: RUN_STATUSES, description: 'one status, or several separated by commas' })
  @ApiQuery({ name: 'trigger', required: false, enum: ['schedule', 'manual', 'retry'] })
  @ApiQuery({ name: 'mode', required: false, enum: ['full', 'incremental'] })
  @ApiQuery({ name: 'startedAfter', required: false, description: 'ISO time: runs started at or after it' })
  @ApiQuery({ name: 'startedBefore', required: false, description: 'ISO time: runs started before it' })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false, description: '1-200, default 50' })
  @ApiQuery({ name: 'cursor', required: false })
  list(@Query() query: Record<string, string | string[] | undefined>) {
    return this.runs.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A run with live counts, phase, extract completeness and a Temporal UI link' })
  @ApiOkResponse({ type: RunView })
  @ApiProblems(404)
  get(@Param('id', new IdPipe('run')) id: string) {
    return this.runs.get(id);
  }

  @Get(':id/records')
  @ApiOperation({
    summary: 'Per-record outcomes of a run',
    description: 'Outcomes of records the run did something with: created, updated, removed, failed. Unchanged records are only counted (stats.unchanged), so outcome=unchanged lists nothing for current runs.',
  })
  @ApiOkResponse({ type: RunRecordPageView })
  @ApiProblems(400, 404)
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
  @ApiAcceptedResponse({ type: RunView, description: 'the new run; its `retryOf` is the old one' })
  @ApiProblems(400, 403, 404, [409, 'not retryable in its state, a run is in progress, or nothing to resume from'])
  retry(@Param('id', new IdPipe('run')) id: string, @Body() dto: RetryRunDto) {
    return this.actions.retry(id, dto.strategy);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a running run; committed batches stay, nothing is half-applied' })
  @ApiAcceptedResponse({ type: RunCancelView })
  @ApiProblems(403, 404, [409, 'the run is not running'])
  async cancel(@Param('id', new IdPipe('run')) id: string): Promise<{ id: string; status: string }> {
    await this.actions.cancel(id);
    return { id, status: 'cancelling' };
  }

  @Post(':id/approve-removals')
  @HttpCode(202)
  @ApiOperation({ summary: 'Approve the removals a run computed above the safety threshold; exactly that set is applied' })
  @ApiAcceptedResponse({ type: RunView })
  @ApiProblems(403, 404, [409, 'the run is not waiting for a removal decision (the reason says why)'], [503, 'no worker answered within 15 s; safe to repeat'])
  approveRemovals(@Param('id', new IdPipe('run')) id: string) {
    return this.actions.decideRemovals(id, true);
  }

  @Post(':id/reject-removals')
  @HttpCode(202)
  @ApiOperation({ summary: 'Reject the pending removals; the run finishes without removing anything' })
  @ApiAcceptedResponse({ type: RunView })
  @ApiProblems(403, 404, [409, 'the run is not waiting for a removal decision (the reason says why)'], [503, 'no worker answered within 15 s; safe to repeat'])
  rejectRemovals(@Param('id', new IdPipe('run')) id: string) {
    return this.actions.decideRemovals(id, false);
  }
}
