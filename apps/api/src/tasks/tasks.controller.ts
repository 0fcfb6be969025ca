import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiIfMatch, taskEtag } from '../common/etag';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.view';
import { RunPageView, RunView } from '../runs/run.view';
import { IdPipe } from '../common/uuid.pipe';
import { badRequest } from '../common/problem';
import { CreateTaskDto, RunNowDto, UpdateTaskDto } from './task.dto';
import { TasksService } from './tasks.service';
import { TaskDetailView, TaskListView, TaskView } from './task.view';

@ApiTags('tasks')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('api/v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @ApiOperation({ summary: 'Create a task and its Temporal Schedule (import-task-<id>)' })
  @ApiCreatedResponse({ type: TaskView })
  @ApiProblems(
    [400, 'invalid fields, listed in `errors`'],
    403,
    [409, 'duplicate name'],
    [422, 'bad SCIM filter, mapping expression, unknown template attribute, usage other than read'],
    503,
  )
  async create(@Body() dto: CreateTaskDto, @Res({ passthrough: true }) res: Response) {
    return withEtag(await this.tasks.create(dto), res);
  }

  @Get()
  @ApiOperation({ summary: 'All tasks (without schedule state; GET /tasks/:id has it)' })
  @ApiOkResponse({ type: TaskListView })
  list() {
    return this.tasks.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Task with its schedule state and last run' })
  @ApiOkResponse({ type: TaskDetailView, headers: { ETag: { description: 'the version; send it as If-Match to change exactly this version' } } })
  @ApiProblems(404)
  async get(@Param('id', new IdPipe('task')) id: string, @Res({ passthrough: true }) res: Response) {
    return withEtag(await this.tasks.get(id), res);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a task and its schedule; the name is immutable' })
  @ApiOkResponse({ type: TaskView })
  @ApiIfMatch()
  @ApiProblems([400, 'invalid fields (or a changed name), listed in `errors`'], 403, 404, 412, 422, 503)
  async update(
    @Param('id', new IdPipe('task')) id: string,
    @Body() dto: UpdateTaskDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('if-match') ifMatch?: string,
  ) {
    return withEtag(await this.tasks.update(id, dto, ifMatch), res);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task and its schedule; runs and datacards are kept' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiIfMatch()
  @ApiProblems(403, 404, 412, 503)
  async remove(@Param('id', new IdPipe('task')) id: string, @Headers('if-match') ifMatch?: string): Promise<void> {
    await this.tasks.remove(id, ifMatch);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause the schedule (enabled: false)' })
  @ApiOkResponse({ type: TaskDetailView })
  @ApiProblems(403, 404, 503)
  async pause(@Param('id', new IdPipe('task')) id: string, @Res({ passthrough: true }) res: Response) {
    return withEtag(await this.tasks.setPaused(id, true), res);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume the schedule (enabled: true)' })
  @ApiOkResponse({ type: TaskDetailView })
  @ApiProblems(403, 404, 503)
  async resume(@Param('id', new IdPipe('task')) id: string, @Res({ passthrough: true }) res: Response) {
    return withEtag(await this.tasks.setPaused(id, false), res);
  }

  @Post(':id/runs')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run now: starts the run at once (`dryRun: true` stops before load and writes nothing); of concurrent requests exactly one gets 202' })
  @ApiAcceptedResponse({ type: RunView })
  @ApiProblems(400, 403, 404, [409, 'a run is already in progress'], [503, 'Temporal did not accept the run or is unreachable; nothing was started'])
  runNow(@Param('id', new IdPipe('task')) id: string, @Body() dto: RunNowDto) {
    return this.tasks.runNow(id, dto ?? {});
  }

  @Get(':id/runs')
  @ApiOperation({ summary: "A task's runs, newest first" })
  @ApiOkResponse({ type: RunPageView })
  @ApiProblems(400, 404)
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  listRuns(@Param('id', new IdPipe('task')) id: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 500) throw badRequest('invalid limit', [{ field: 'limit', message: 'limit must be an integer 1-500' }]);
    return this.tasks.listRuns(id, n, cursor);
  }

  @Post(':id/cache/clear')
  @HttpCode(204)
  @ApiOperation({ summary: 'Clear the task cache now: the next run pushes every record again' })
  @ApiNoContentResponse({ description: 'cleared' })
  @ApiProblems(403, 404)
  async clearCache(@Param('id', new IdPipe('task')) id: string): Promise<void> {
    await this.tasks.clearCache(id);
  }
}

/** Puts the task's ETag on the answer. */
function withEtag<T extends { configVersion: number; enabled: boolean }>(task: T, res: Response): T {
  res.setHeader('ETag', taskEtag(task));
  return task;
}
