import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { RunRepository, type RunRow } from '@app/persistence';
import { progressOfRun } from '@app/import';
import { badRequest, notFound } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { runPhases, runView } from './run-view';
import { RunHousekeepingService } from './run-housekeeping.service';
import { parseRunListQuery } from './run-list-query';

export const OUTCOMES = ['created', 'updated', 'unchanged', 'removed', 'failed'] as const;

/** Runs and their per-record outcomes. */
@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly housekeeping: RunHousekeepingService,
  ) {}

  /** The run row; 404 when there is none. */
  async row(id: string): Promise<RunRow> {
    const row = await this.runs.find(id);
    if (!row) throw notFound(`run ${id} not found`);
    return row;
  }

  /**
   * The run as shown, with its progress while it runs (one more statement, which reads no
   * staging: the console polls it) and the steps it went through; a row that says running is
   * first checked against Temporal.
   */
  async get(id: string) {
    let row = await this.row(id);
    if (row.status === 'running' && (await this.housekeeping.reconcile({ runId: id }).catch(() => [])).length) row = await this.row(id);
    return { ...runView(row, this.config), progress: await progressOfRun(this.runs, row), phases: runPhases(row.phaseLog, row.finishedAt) };
  }

  /** GET /runs: runs of every task, newest first, filtered and paged in the database (one statement). */
  async list(query: Record<string, string | string[] | undefined>): Promise<{ items: ReturnType<typeof runView>[]; nextCursor: string | null }> {
    const { filter, limit, after } = parseRunListQuery(query);
    const page = await this.runs.listPage(filter, limit, after);
    return { items: page.rows.map((r) => runView(r, this.config)), nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  async records(id: string, outcome: string | undefined, limit: number, cursor: string | undefined) {
    await this.row(id);
    if (outcome !== undefined && !(OUTCOMES as readonly string[]).includes(outcome)) {
      throw badRequest('invalid outcome', [{ field: 'outcome', message: `outcome must be one of ${OUTCOMES.join(', ')}` }]);
    }
    const after = decodeCursor(cursor, (v): v is { id: string } => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string');
    const rows = await this.runs.outcomePage(id, limit + 1, { outcome, afterId: after?.id });
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        kind: r.kind,
        sourceId: r.sourceId,
        uniqueValue: r.uniqueValue,
        datacardId: r.datacardId,
        outcome: r.outcome,
        ...(r.message ? { message: r.message } : {}),
      })),
      nextCursor: rows.length > limit ? encodeCursor({ id: String(page[page.length - 1].id) }) : null,
    };
  }
}
