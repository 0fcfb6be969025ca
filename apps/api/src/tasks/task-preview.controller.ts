import { Body, Controller, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.view';
import { DEFAULT_PREVIEW_LIMIT, MAX_PREVIEW_LIMIT } from '@app/import';
import { IdPipe } from '../common/uuid.pipe';
import { badRequest } from '../common/problem';
import { CreateTaskDto, UpdateTaskDto } from './task.dto';
import { AttributeSourceView, TaskPreviewView } from './task-preview.dto';
import { TaskPreviewService } from './task-preview.service';

function previewLimit(limit: string | undefined): number {
  const n = limit === undefined ? DEFAULT_PREVIEW_LIMIT : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PREVIEW_LIMIT) {
    throw badRequest('invalid limit', [{ field: 'limit', message: `limit must be an integer 1-${MAX_PREVIEW_LIMIT}` }]);
  }
  return n;
}

const LIMIT_QUERY = { name: 'limit', required: false, description: `records read per resource (default ${DEFAULT_PREVIEW_LIMIT}, at most ${MAX_PREVIEW_LIMIT})` };
const WRITES_NOTHING =
  'Reads at most `limit` records of each resource from the source, maps them exactly as a run would and says what a run would do with each against the current target. Writes nothing anywhere. Needs an admin token: it reads the source with the connector\'s credentials.';

@ApiTags('tasks')
@ApiBearerAuth()
// referenced by $ref from TaskPreviewView's `sources` map, so it must be registered on its own
@ApiExtraModels(AttributeSourceView)
@Controller('api/v1/tasks')
export class TaskPreviewController {
  constructor(private readonly previews: TaskPreviewService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Preview an unsaved task (body as for create, same validation)', description: WRITES_NOTHING })
  @ApiQuery(LIMIT_QUERY)
  @ApiOkResponse({ type: TaskPreviewView })
  @ApiProblems(
    [400, 'invalid fields, listed in `errors`'],
    [403, 'a read-scope token: preview uses the connector credentials'],
    [422, 'bad SCIM filter, mapping expression, unknown template attribute'],
    [502, 'the source could not be read'],
  )
  previewNew(@Body() dto: CreateTaskDto, @Query('limit') limit?: string) {
    return this.previews.previewNew(dto, previewLimit(limit));
  }

  @Post(':id/preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Preview a saved task, optionally with changed fields (body as for update, merged over the saved task; nothing is saved)', description: WRITES_NOTHING })
  @ApiQuery(LIMIT_QUERY)
  @ApiOkResponse({ type: TaskPreviewView })
  @ApiProblems(
    [400, 'invalid fields, listed in `errors`; the name is immutable'],
    [403, 'a read-scope token: preview uses the connector credentials'],
    [404, 'no such task'],
    [422, 'bad SCIM filter, mapping expression, unknown template attribute'],
    [502, 'the source could not be read'],
  )
  previewSaved(@Param('id', new IdPipe('task')) id: string, @Body() dto: UpdateTaskDto, @Query('limit') limit?: string) {
    return this.previews.previewSaved(id, dto ?? {}, previewLimit(limit));
  }
}
