import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { SCHEDULE_CATCHUP_WINDOW, scheduleIdForTask, taskIdFromScheduleId } from './constants';
import { scheduledRunAction } from './run-launcher';
import type { RunDescription } from './run-summary';

export type TaskScheduleSpec = { cron: string; timezone?: string } | { everyMinutes: number } | null;

/** What a schedule needs to know about a task. */
export interface ScheduledTask {
  id: string;
  name: string;
  schedule: TaskScheduleSpec;
  enabled: boolean;
  /** what the Temporal UI shows for the schedule's runs (summary and details of the action) */
  describe?: Omit<RunDescription, 'taskName' | 'trigger'>;
}

export interface TaskScheduleState {
  paused: boolean;
  nextRunTimes: string[];
  runningWorkflowIds: string[];
}

function toSpec(schedule: TaskScheduleSpec): ScheduleSpec {
  if (!schedule) return {};
  if ('cron' in schedule) return { cronExpressions: [schedule.cron], timezone: schedule.timezone ?? 'UTC' };
  return { intervals: [{ every: `${schedule.everyMinutes}m` }] };
}

/** Creates, updates, pauses, triggers and deletes the Temporal Schedule `import-task-<id>` of each task. */
export class TaskScheduleService {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  private options(task: ScheduledTask): ScheduleOptions {
    return {
      scheduleId: scheduleIdForTask(task.id),
      spec: toSpec(task.schedule),
      action: scheduledRunAction(task, this.taskQueue),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: SCHEDULE_CATCHUP_WINDOW, pauseOnFailure: false },
      state: {
        paused: !task.enabled || task.schedule === null,
        note: !task.enabled ? 'task disabled' : task.schedule === null ? 'manual runs only' : undefined,
      },
    };
  }

  /** Creates the schedule, or replaces its spec, action and state when it already exists. */
  async upsert(task: ScheduledTask): Promise<void> {
    const options = this.options(task);
    try {
      await this.client.schedule.create(options);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      const handle = this.client.schedule.getHandle(options.scheduleId);
      await handle.update((prev) => ({
        ...prev,
        spec: options.spec,
        action: options.action,
        policies: options.policies,
        state: { ...prev.state, paused: options.state?.paused ?? false, note: options.state?.note },
      }));
    }
  }

  /** Deletes the schedule; a schedule that is already gone is fine. */
  async delete(taskId: string): Promise<void> {
    try {
      await this.client.schedule.getHandle(scheduleIdForTask(taskId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  async pause(taskId: string, note = 'paused through the API'): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdForTask(taskId)).pause(note);
  }

  async unpause(taskId: string, note = 'resumed through the API'): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdForTask(taskId)).unpause(note);
  }

  /** Schedule state, or undefined when the schedule does not exist. */
  async describe(taskId: string): Promise<TaskScheduleState | undefined> {
    try {
      const d = await this.client.schedule.getHandle(scheduleIdForTask(taskId)).describe();
      return {
        paused: d.state.paused,
        nextRunTimes: d.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
        runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
      };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  /** Full description (tests and reconciliation use it). */
  async describeRaw(taskId: string) {
    return this.client.schedule.getHandle(scheduleIdForTask(taskId)).describe();
  }

  /**
   * Starts a run now through the schedule. SKIP is explicit: the SDK's default for trigger
   * is ALLOW_ALL, which would start a second concurrent run.
   */
  async trigger(taskId: string): Promise<void> {
    await this.client.schedule.getHandle(scheduleIdForTask(taskId)).trigger(ScheduleOverlapPolicy.SKIP);
  }

  /** When the schedule was created, or undefined when it does not exist. */
  async createdAt(taskId: string): Promise<Date | undefined> {
    try {
      return (await this.describeRaw(taskId)).info.createdAt;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Per task, the next times its schedule fires as Temporal computed them (empty when paused), from
   * one listing of the namespace's schedules rather than a describe per task. Listing is eventually
   * consistent: a schedule created or changed a moment ago may be missing or show its old times.
   * Answers within `timeoutMs` or throws.
   */
  async nextRunTimesOfAll(timeoutMs: number): Promise<Map<string, Date[]>> {
    return this.client.withDeadline(Date.now() + timeoutMs, async () => {
      const out = new Map<string, Date[]>();
      for await (const s of this.client.schedule.list()) {
        const id = taskIdFromScheduleId(s.scheduleId);
        if (id) out.set(id, s.state.paused ? [] : s.info.nextActionTimes);
      }
      return out;
    });
  }

  /** Task ids of every `import-task-*` schedule in the namespace. */
  async listTaskIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const s of this.client.schedule.list()) {
      const id = taskIdFromScheduleId(s.scheduleId);
      if (id) ids.push(id);
    }
    return ids;
  }
}
