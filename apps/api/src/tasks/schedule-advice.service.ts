import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { scheduleAdvice, type ScheduleAdvice, type ScheduleAdviceInput, type ScheduleDefinition } from './schedule-advice';

/** The parts of a task the advice looks at. */
export interface AdvisedTask {
  id: string;
  type: 'full' | 'incremental';
  schedule: ScheduleDefinition;
  enabled: boolean;
}

/** Finished runs per task whose durations count (the longest of them is compared with the interval). */
const RECENT_RUNS = 5;

/**
 * Gathers what schedule advice needs from the database: the source size measured by each task's
 * latest complete read, its latest run durations, and the schedules of every task (all tasks of
 * this service run on one worker pool, the TASK_QUEUE).
 */
@Injectable()
export class ScheduleAdviceService {
  constructor(private readonly ds: DataSource) {}

  /** Advice per task id; `sizeOverride` replaces the measured size (a preview's totals). */
  async adviseAll(tasks: AdvisedTask[], sizeOverride?: ScheduleAdviceInput['size']): Promise<Map<string, ScheduleAdvice[]>> {
    const out = new Map<string, ScheduleAdvice[]>();
    if (tasks.length === 0) return out;
    const ids = tasks.map((t) => t.id).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    const [all, sizes, durations] = await Promise.all([
      this.ds.query<Array<{ id: string; name: string; schedule: ScheduleDefinition; enabled: boolean }>>(`SELECT id, name, schedule, enabled FROM import_task`),
      // the latest run that read everything and proved it complete measured the source
      this.ds.query<Array<{ task_id: string; id: string; extract_reports: Array<{ resource?: string; distinctIds?: number }> }>>(
        `SELECT DISTINCT ON (task_id) task_id, id, extract_reports FROM run
          WHERE task_id = ANY($1::uuid[]) AND status = 'succeeded' AND jsonb_array_length(extract_reports) > 0
            AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(extract_reports) e
                             WHERE (e->>'complete') IS DISTINCT FROM 'true' OR (e->>'fullRead') = 'false')
          ORDER BY task_id, started_at DESC`,
        [ids],
      ),
      // a dry run skips load: its duration says nothing about a real run's
      this.ds.query<Array<{ task_id: string; ms: string }>>(
        `SELECT task_id, extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM (
           SELECT task_id, started_at, finished_at, row_number() OVER (PARTITION BY task_id ORDER BY started_at DESC) AS rn
             FROM run WHERE task_id = ANY($1::uuid[]) AND status = 'succeeded' AND NOT dry_run AND finished_at IS NOT NULL) r
          WHERE rn <= $2`,
        [ids, RECENT_RUNS],
      ),
    ]);
    const now = new Date();
    const others = all.map((t) => ({ id: t.id, name: t.name, schedule: t.schedule, enabled: t.enabled }));
    for (const task of tasks) {
      const measured = sizes.find((s) => s.task_id === task.id);
      const size = sizeOverride ?? (measured ? sizeOf(measured) : null);
      out.set(
        task.id,
        scheduleAdvice({
          task,
          size,
          recentRunDurationsMs: durations.filter((d) => d.task_id === task.id).map((d) => Number(d.ms)),
          others,
          now,
        }),
      );
    }
    return out;
  }

  /** Advice for one task. */
  async advise(task: AdvisedTask, sizeOverride?: ScheduleAdviceInput['size']): Promise<ScheduleAdvice[]> {
    return (await this.adviseAll([task], sizeOverride)).get(task.id) ?? [];
  }
}

function sizeOf(run: { id: string; extract_reports: Array<{ resource?: string; distinctIds?: number }> }): NonNullable<ScheduleAdviceInput['size']> {
  const count = (kind: string) => run.extract_reports.filter((r) => r.resource === kind).reduce((n, r) => n + Number(r.distinctIds ?? 0), 0);
  return { users: count('identity'), groups: count('access'), generic: count('generic'), measuredBy: `measured by run ${run.id}` };
}
