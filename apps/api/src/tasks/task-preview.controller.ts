import { Body, Controller, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.view';
import { DEFAULT_PREVIEW_LIMIT, MAX_PREVIEW_LIMIT } from '@app/import';
import { IdPipe } from '../common/uuid.pipe';
import { badRequest } from '../common/problem';
import { CreateTaskDto, UpdateTaskDto } from './task.dto';
import { AttributeSourceView, TaskPreviewView } from './task-preview.dto';
import { TaskPreviewService } from './task-preview.service';
import { PreviewGate } from './preview-gate';

function previewLimit(limit: string | undefined): number {
  const n = limit === undefined ? DEFAULT_PREVIEW_LIMIT : Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PREVIEW_LIMIT) {
    throw badRequest('invalid limit', [{ field: 'limit', message: `limit must be an integer 1-${MAX_PREVIEW_LIMIT}` }]);
  }
  return n;
}

const LIMIT_QUERY = { name: 'limit', required: false, description: `records read per resource (default ${DEFAULT_PREVIEW_LIMIT}, at most ${MAX_PREVIEW_LIMIT})` };
const WRITES_NOTHING =
  'Reads at most `limit` records of each resource from the source, maps them exactly as a run would and says what a run would do with each against the current target. Writes nothing anywhere. Needs an admin token: it reads the source with the connector\'s credentials. ' +
  'Bounded: at most PREVIEW_MAX_CONCURRENT previews run at once (429 with Retry-After beyond), each within PREVIEW_TIMEOUT_SECONDS (504 when it passes, nothing is returned), reading SCIM answers up to PREVIEW_MAX_RESPONSE_BYTES; a client that disconnects stops the reading at once.';
const BOUNDS: Array<[number, string]> = [
  [429, 'PREVIEW_MAX_CONCURRENT previews are already running; Retry-After says when to try again'],
  [504, 'the preview did not finish within PREVIEW_TIMEOUT_SECONDS; nothing more was read'],
];

@ApiTags('tasks')
@ApiBearerAuth()
// referenced by $ref from TaskPreviewView's `sources` map, so it must be registered on its own
@ApiExtraModels(AttributeSourceView)
@Controller('api/v1/tasks')
export class TaskPreviewController {
  constructor(
    private readonly previews: TaskPreviewService,
    private readonly gate: PreviewGate,
  ) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Preview an unsaved task (body as for create, same validation)', description: WRITES_NOTHING })
  @ApiQuery(LIMIT_QUERY)
  @ApiOkResponse({ type: TaskPreviewView })
  @ApiProblems(
    [400, 'invalid fields, listed in `errors`'],
    [403, 'a read-scope token: preview uses the connector credentials'],
    [422, 'bad SCIM filter, mapping expression, unknown template attribute'],
    [502, 'the source could not be read, or an answer was larger than PREVIEW_MAX_RESPONSE_BYTES'],
    ...BOUNDS,
  )
  previewNew(@Body() dto: CreateTaskDto, @Req() req: Request, @Res({ passthrough: true }) res: Response, @Query('limit') limit?: string) {
    const n = previewLimit(limit);
    return this.gate.run(req, res, (signal) => this.previews.previewNew(dto, n, signal));
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
    [502, 'the source could not be read, or an answer was larger than PREVIEW_MAX_RESPONSE_BYTES'],
    ...BOUNDS,
  )
  previewSaved(@Param('id', new IdPipe('task')) id: string, @Body() dto: UpdateTaskDto, @Req() req: Request, @Res({ passthrough: true }) res: Response, @Query('limit') limit?: string) {
    const n = previewLimit(limit);
    return this.gate.run(req, res, (signal) => this.previews.previewSaved(id, dto ?? {}, n, signal));
  }
}
