import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RemovalCandidateRepository, RunRepository } from '@app/persistence';
import { badRequest, notFound } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { ApiProblems } from '../common/problem.view';
import { IdPipe } from '../common/uuid.pipe';
import { summaryAttributesOf } from './candidate-summary';

export class RemovalCandidateView {
  @ApiProperty({ format: 'uuid' }) datacardId: string;
  @ApiProperty({ enum: ['identity', 'access', 'generic'] }) kind: string;
  @ApiProperty() uniqueValue: string;
  @ApiProperty({ type: String, nullable: true, description: "the card's login, email or name (whichever the mapping fills first), for the person deciding" }) summary: string | null;
  @ApiProperty() templateCode: string;
  @ApiProperty() folderCode: string;
  @ApiProperty({ description: 'the datacard status now' }) status: string;
  @ApiProperty({ description: 'already marked removed by this run' }) applied: boolean;
}

export class RemovalCandidatePageView {
  @ApiProperty({ type: [RemovalCandidateView] }) items: RemovalCandidateView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

/**
 * The datacards a run computed for removal, readable while the run holds them (waiting for a
 * decision or applying): the operator approves a set they can see. The set is dropped when the
 * run finishes; what was removed then shows in GET /runs/:id/records?outcome=removed.
 */
@ApiTags('runs')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('api/v1/runs')
export class RemovalCandidatesController {
  constructor(
    private readonly runs: RunRepository,
    private readonly candidates: RemovalCandidateRepository,
  ) {}

  @Get(':id/removal-candidates')
  @ApiOperation({ summary: 'The removal candidates of a run (while it waits for a decision or applies them)' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({ type: RemovalCandidatePageView })
  @ApiProblems(400, 404)
  async list(@Param('id', new IdPipe('run')) id: string, @Query('limit') limit?: string, @Query('cursor') cursor?: string): Promise<RemovalCandidatePageView> {
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw badRequest('invalid limit', [{ field: 'limit', message: 'limit must be an integer 1-1000' }]);
    const after = decodeCursor(cursor, (v): v is { id: string } => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string');
    const run = await this.runs.find(id);
    if (!run) throw notFound(`run ${id} not found`);
    // a resumed run keeps its root's candidate set (the replayed activities carry the root's id)
    // the summary follows the mapping the run used (its snapshot), which is the one that filled the cards
    const snapshot = run.configSnapshot as { config?: unknown } | null;
    const rows = await this.candidates.pageWithDatacards(run.resumeRootId ?? run.id, n + 1, after?.id, summaryAttributesOf(snapshot?.config));
    const page = rows.slice(0, n);
    return {
      items: page.map((r) => ({
        datacardId: r.datacardId,
        kind: r.kind,
        uniqueValue: r.uniqueValue,
        summary: r.summary,
        templateCode: r.templateCode,
        folderCode: r.folderCode,
        status: r.status,
        applied: r.applied,
      })),
      nextCursor: rows.length > n ? encodeCursor({ id: page[page.length - 1].datacardId }) : null,
    };
  }
}
