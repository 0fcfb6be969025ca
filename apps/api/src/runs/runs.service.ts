import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { badRequest, notFound } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { runView, type RunRow } from './run-view';
import { RunHousekeepingService } from './run-housekeeping.service';

export const OUTCOMES = ['created', 'updated', 'unchanged', 'removed', 'failed'] as const;

/** Runs and their per-record outcomes. */
@Injectable()
export class RunsService {
  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly housekeeping: RunHousekeepingService,
  ) {}

  async row(id: string): Promise<RunRow> {
    const rows: RunRow[] = await this.ds.query(`SELECT * FROM run WHERE id = $1`, [id]);
    if (!rows.length) throw notFound(`run ${id} not found`);
    return rows[0];
  }

  /** The run as shown; a row that says running is first checked against Temporal. */
  async get(id: string) {
    let row = await this.row(id);
    if (row.status === 'running' && (await this.housekeeping.reconcile({ runId: id }).catch(() => [])).length) row = await this.row(id);
    return runView(row, this.config);
  }

  async records(id: string, outcome: string | undefined, limit: number, cursor: string | undefined) {
    await this.row(id);
    if (outcome !== undefined && !(OUTCOMES as readonly string[]).includes(outcome)) {
      throw badRequest('invalid outcome', [{ field: 'outcome', message: `outcome must be one of ${OUTCOMES.join(', ')}` }]);
    }
    const after = decodeCursor(cursor, (v): v is { id: string } => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string');
    const params: unknown[] = [id];
    let where = 'run_id = $1';
    if (outcome) {
      params.push(outcome);
      where += ` AND outcome = $${params.length}`;
    }
    if (after) {
      params.push(after.id);
      where += ` AND id > $${params.length}::bigint`;
    }
    params.push(limit + 1);
    const rows: Array<{ id: string; kind: string; source_id: string | null; unique_value: string | null; datacard_id: string | null; outcome: string; message: string | null }> =
      await this.ds.query(`SELECT * FROM run_record WHERE ${where} ORDER BY id LIMIT $${params.length}`, params);
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        kind: r.kind,
        sourceId: r.source_id,
        uniqueValue: r.unique_value,
        datacardId: r.datacard_id,
        outcome: r.outcome,
        ...(r.message ? { message: r.message } : {}),
      })),
      nextCursor: rows.length > limit ? encodeCursor({ id: String(page[page.length - 1].id) }) : null,
    };
  }
}
