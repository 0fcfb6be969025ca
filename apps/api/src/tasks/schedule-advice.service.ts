import { Injectable } from '@nestjs/common';
import { ImportTaskRepository, RunRepository, type ReadCompleteness } from '@app/persistence';
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
  constructor(
    private readonly tasks: ImportTaskRepository,
    private readonly runs: RunRepository,
  ) {}

  /** Advice per task id; `sizeOverride` replaces the measured size (a preview's totals). */
  async adviseAll(tasks: AdvisedTask[], sizeOverride?: ScheduleAdviceInput['size']): Promise<Map<string, ScheduleAdvice[]>> {
    const out = new Map<string, ScheduleAdvice[]>();
    if (tasks.length === 0) return out;
    const ids = tasks.map((t) => t.id).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
    const [all, sizes, durations] = await Promise.all([
      this.tasks.scheduleSummaries(),
      // the latest run that read everything and proved it complete measured the source
      this.runs.latestFullReads(ids),
      this.runs.recentDurations(ids, RECENT_RUNS),
    ]);
    const now = new Date();
    const others = all.map((t) => ({ id: t.id, name: t.name, schedule: t.schedule, enabled: t.enabled }));
    for (const task of tasks) {
      const measured = sizes.find((s) => s.taskId === task.id);
      const size = sizeOverride ?? (measured ? sizeOf(measured.runId, measured.read) : null);
      out.set(
        task.id,
        scheduleAdvice({
          task,
          size,
          recentRunDurationsMs: durations.filter((d) => d.taskId === task.id).map((d) => d.ms),
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

function sizeOf(runId: string, read: ReadCompleteness): NonNullable<ScheduleAdviceInput['size']> {
  const count = (kind: string) => read.resources.filter((r) => r.resource === kind).reduce((n, r) => n + Number(r.distinctIds ?? 0), 0);
  return { users: count('identity'), groups: count('access'), generic: count('generic'), measuredBy: `measured by run ${runId}` };
}
