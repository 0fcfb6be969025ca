import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/uuid.pipe';
import { badRequest } from '../common/problem';
import { CreateTaskDto, RunNowDto, UpdateTaskDto } from './task.dto';
import { TasksService } from './tasks.service';

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('api/v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @ApiOperation({ summary: 'Create a task and its Temporal Schedule (import-task-<id>)' })
  @ApiResponse({ status: 201 })
  @ApiResponse({ status: 400, description: 'invalid fields, listed in `errors`' })
  @ApiResponse({ status: 409, description: 'duplicate name' })
  @ApiResponse({ status: 422, description: 'bad SCIM filter, mapping expression, unknown template attribute, usage other than read' })
  create(@Body() dto: CreateTaskDto) {
    return this.tasks.create(dto);
  }

  @Get()
  list() {
    return this.tasks.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Task with its schedule state and last run' })
  get(@Param('id', new IdPipe('task')) id: string) {
    return this.tasks.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a task and its schedule; the name is immutable' })
  update(@Param('id', new IdPipe('task')) id: string, @Body() dto: UpdateTaskDto) {
    return this.tasks.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task and its schedule; runs and datacards are kept' })
  async remove(@Param('id', new IdPipe('task')) id: string): Promise<void> {
    await this.tasks.remove(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@Param('id', new IdPipe('task')) id: string) {
    return this.tasks.setPaused(id, true);
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@Param('id', new IdPipe('task')) id: string) {
    return this.tasks.setPaused(id, false);
  }

  @Post(':id/runs')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run now, through the schedule with overlap SKIP' })
  @ApiResponse({ status: 409, description: 'a run is already in progress' })
  runNow(@Param('id', new IdPipe('task')) id: string, @Body() dto: RunNowDto) {
    return this.tasks.runNow(id, dto ?? {});
  }

  @Get(':id/runs')
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
  async clearCache(@Param('id', new IdPipe('task')) id: string): Promise<void> {
    await this.tasks.clearCache(id);
  }
}
