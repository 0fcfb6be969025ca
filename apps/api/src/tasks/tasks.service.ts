import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/config';
import type { TemplateAttribute } from '@app/persistence';
import { TaskScheduleService, resourcePathsOf, type ScheduledTask, type TaskScheduleSpec } from '@app/temporal';
import { badRequest, conflict, notFound, ProblemException, unprocessable } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { runView, type RunRow } from '../runs/run-view';
import { assertNoRunningRun } from '../runs/running-run';
import type { CreateTaskDto, RunNowDto, UpdateTaskDto } from './task.dto';
import { validateTaskDefinition, type TaskDefinition } from './task-validation';

interface TaskRow {
  id: string;
  name: string;
  connector_id: string;
  usage: string;
  type: TaskDefinition['type'];
  mappings_type: TaskDefinition['mappingsType'];
  schedule: TaskDefinition['schedule'];
  enabled: boolean;
  config: Pick<TaskDefinition, 'filters' | 'failure' | 'identity' | 'access' | 'generic' | 'cache' | 'safety'>;
  config_version: number;
  watermark: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Schedules without a task younger than this may belong to a create still in flight. */
const ORPHAN_MIN_AGE_MS = 10 * 60_000;

const CONFIG_KEYS = ['filters', 'failure', 'identity', 'access', 'generic', 'cache', 'safety'] as const;

/** Plain JSON without undefined (DTO instances carry class prototypes and undefined fields). */
function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function definitionOf(row: TaskRow): TaskDefinition {
  return {
    name: row.name,
    connectorId: row.connector_id,
    usage: row.usage,
    type: row.type,
    mappingsType: row.mappings_type,
    schedule: row.schedule,
    enabled: row.enabled,
    ...row.config,
  } as TaskDefinition;
}

function scheduleSpec(s: TaskDefinition['schedule']): TaskScheduleSpec {
  if (!s) return null;
  if (s.cron !== undefined) return { cron: s.cron, timezone: s.timezone ?? 'UTC' };
  return { everyMinutes: s.everyMinutes as number };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err as QueryFailedError & { code?: string }).code === '23505';
}

/** Tasks and their Temporal Schedules, kept in step: a failed Temporal call rolls the database back. */
@Injectable()
export class TasksService {
  private readonly logger = new Logger('tasks');

  constructor(
    private readonly ds: DataSource,
    private readonly schedules: TaskScheduleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  view(row: TaskRow) {
    return { id: row.id, ...definitionOf(row), configVersion: row.config_version, watermark: row.watermark?.toISOString() ?? null, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() };
  }

  private async row(id: string, em: EntityManager | DataSource = this.ds, lock = false): Promise<TaskRow> {
    const rows: TaskRow[] = await em.query(`SELECT * FROM import_task WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`, [id]);
    if (!rows.length) throw notFound(`task ${id} not found`);
    return rows[0];
  }

  private async validate(def: TaskDefinition): Promise<void> {
    const [connectors, templates, folders] = await Promise.all([
      /^[0-9a-f-]{36}$/i.test(def.connectorId) ? this.ds.query(`SELECT 1 FROM connector WHERE id = $1`, [def.connectorId]) : Promise.resolve([]),
      this.ds.query(`SELECT code, attributes FROM template`) as Promise<Array<{ code: string; attributes: TemplateAttribute[] }>>,
      this.ds.query(`SELECT code, template_code FROM folder`) as Promise<Array<{ code: string; template_code: string }>>,
    ]);
    const outcome = validateTaskDefinition(def, {
      connectorExists: connectors.length > 0,
      templates: new Map(templates.map((t) => [t.code, t.attributes])),
      folders: new Map(folders.map((f) => [f.code, f.template_code])),
    });
    if (outcome.invalid.length) throw badRequest(`request validation failed: ${outcome.invalid.map((e) => `${e.field}: ${e.message}`).join('; ')}`, [...outcome.invalid, ...outcome.unprocessable]);
    if (outcome.unprocessable.length) throw unprocessable(outcome.unprocessable.map((e) => `${e.field}: ${e.message}`).join('; '), outcome.unprocessable);
  }

  private scheduled(id: string, def: TaskDefinition): ScheduledTask {
    return {
      id,
      name: def.name,
      schedule: scheduleSpec(def.schedule),
      enabled: def.enabled,
      describe: { mode: def.type, connectorId: def.connectorId, resources: resourcePathsOf(def.mappingsType, def.generic?.resourcePath) },
    };
  }

  private temporalProblem(err: unknown, action: string): Error {
    this.logger.error(`${action}: Temporal call failed: ${err instanceof Error ? err.message : String(err)}`);
    return new ProblemException(503, `${action} failed because Temporal did not accept the schedule change; nothing was saved (${err instanceof Error ? err.message : String(err)})`);
  }

  async create(dto: CreateTaskDto) {
    const body = plain(dto);
    const def: TaskDefinition = {
      name: body.name.trim(),
      connectorId: body.connectorId.toLowerCase(),
      usage: body.usage ?? 'read',
      type: body.type,
      mappingsType: body.mappingsType,
      schedule: body.schedule ?? null,
      enabled: body.enabled ?? true,
      filters: body.filters ?? null,
      failure: body.failure ?? { templateCode: 'failure', folderCode: 'failures', attributeCode: 'message' },
      identity: (body.identity as TaskDefinition['identity']) ?? null,
      access: (body.access as TaskDefinition['access']) ?? null,
      generic: (body.generic as TaskDefinition['generic']) ?? null,
      cache: { clearHoursUtc: body.cache?.clearHoursUtc ?? [0] },
      safety: { maxRemovalPercent: body.safety?.maxRemovalPercent ?? 20, ...(body.safety?.maxRemovals !== undefined ? { maxRemovals: body.safety.maxRemovals } : {}) },
    };
    await this.validate(def);
    let createdId: string | undefined;
    try {
      const row = await this.ds.transaction(async (em) => {
        const rows: TaskRow[] = await em.query(
          `INSERT INTO import_task (name, connector_id, usage, type, mappings_type, schedule, enabled, config)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
          [def.name, def.connectorId, def.usage, def.type, def.mappingsType, def.schedule ? JSON.stringify(def.schedule) : null, def.enabled, JSON.stringify(pickConfig(def))],
        );
        try {
          await this.schedules.upsert(this.scheduled(rows[0].id, def));
        } catch (err) {
          throw this.temporalProblem(err, 'creating the task');
        }
        createdId = rows[0].id;
        return rows[0];
      });
      return this.view(row);
    } catch (err) {
      // the schedule exists but the row did not commit: remove the schedule again
      if (createdId && !(err instanceof ProblemException)) await this.schedules.delete(createdId).catch(() => undefined);
      if (isUniqueViolation(err)) throw conflict(`a task named "${def.name}" already exists`, [{ field: 'name', message: 'already exists' }]);
      throw err;
    }
  }

  async list() {
    const rows: TaskRow[] = await this.ds.query(`SELECT * FROM import_task ORDER BY created_at, id`);
    return { items: rows.map((r) => this.view(r)), total: rows.length };
  }

  async get(id: string) {
    const row = await this.row(id);
    const [state, lastRuns] = await Promise.all([
      this.schedules.describe(id).catch((err: unknown) => {
        this.logger.warn(`describe schedule of task ${id}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }),
      this.ds.query(`SELECT * FROM run WHERE task_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1`, [id]) as Promise<RunRow[]>,
    ]);
    return {
      ...this.view(row),
      scheduleState: state ? { paused: state.paused, nextRunTimes: state.paused ? [] : state.nextRunTimes } : { paused: true, nextRunTimes: [], missing: true },
      ...(lastRuns[0] ? { lastRun: runView(lastRuns[0], this.config) } : {}),
    };
  }

  async update(id: string, dto: UpdateTaskDto) {
    const body = plain(dto) as Record<string, unknown>;
    const current = await this.row(id);
    if ('name' in body && body.name !== current.name) {
      throw badRequest('name is immutable', [{ field: 'name', message: 'the task name cannot be changed; create a new task instead' }]);
    }
    const def: TaskDefinition = { ...definitionOf(current) };
    for (const key of ['connectorId', 'usage', 'type', 'mappingsType', 'enabled', ...CONFIG_KEYS, 'schedule'] as const) {
      if (key in body) (def as unknown as Record<string, unknown>)[key] = body[key] ?? null;
    }
    if ('cache' in body) def.cache = { clearHoursUtc: (body.cache as { clearHoursUtc?: number[] } | null)?.clearHoursUtc ?? [0] };
    if ('safety' in body) def.safety = { maxRemovalPercent: 20, ...((body.safety as object | null) ?? {}) };
    if ('failure' in body && !body.failure) def.failure = { templateCode: 'failure', folderCode: 'failures', attributeCode: 'message' };
    if ('filters' in body && body.filters === null) def.filters = null;
    await this.validate(def);
    const row = await this.ds.transaction(async (em) => {
      await this.row(id, em, true);
      const rows: TaskRow[] = await em.query(
        `WITH updated AS (UPDATE import_task SET connector_id = $2, usage = $3, type = $4, mappings_type = $5, schedule = $6, enabled = $7, config = $8,
           config_version = config_version + 1, updated_at = now() WHERE id = $1 RETURNING *) SELECT * FROM updated`,
        [id, def.connectorId, def.usage, def.type, def.mappingsType, def.schedule ? JSON.stringify(def.schedule) : null, def.enabled, JSON.stringify(pickConfig(def))],
      );
      try {
        await this.schedules.upsert(this.scheduled(id, def));
      } catch (err) {
        throw this.temporalProblem(err, 'updating the task');
      }
      return rows[0];
    });
    return this.view(row);
  }

  async remove(id: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      await this.row(id, em, true);
      await em.query(`DELETE FROM task_cache WHERE task_id = $1`, [id]);
      await em.query(`DELETE FROM import_task WHERE id = $1`, [id]);
      try {
        await this.schedules.delete(id);
      } catch (err) {
        throw this.temporalProblem(err, 'deleting the task');
      }
    });
  }

  async setPaused(id: string, paused: boolean) {
    await this.ds.transaction(async (em) => {
      const row = await this.row(id, em, true);
      await em.query(`UPDATE import_task SET enabled = $2, updated_at = now() WHERE id = $1`, [id, !paused]);
      try {
        await this.schedules.upsert(this.scheduled(id, { ...definitionOf(row), enabled: !paused }));
      } catch (err) {
        throw this.temporalProblem(err, paused ? 'pausing the task' : 'resuming the task');
      }
    });
    return this.get(id);
  }

  async clearCache(id: string): Promise<void> {
    await this.row(id);
    await this.ds.query(`DELETE FROM task_cache WHERE task_id = $1`, [id]);
  }

  async listRuns(id: string, limit = 50, cursor?: string) {
    await this.row(id);
    const after = decodeCursor(cursor, (v): v is { s: string; id: string } => typeof v === 'object' && v !== null && 's' in v && 'id' in v);
    const rows: RunRow[] = after
      ? await this.ds.query(`SELECT * FROM run WHERE task_id = $1 AND (started_at, id) < ($2::timestamptz, $3::uuid) ORDER BY started_at DESC, id DESC LIMIT $4`, [id, after.s, after.id, limit + 1])
      : await this.ds.query(`SELECT * FROM run WHERE task_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, [id, limit + 1]);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map((r) => runView(r, this.config)), nextCursor: rows.length > limit ? encodeCursor({ s: last.started_at.toISOString(), id: last.id }) : null };
  }

  /**
   * Run now: records the request for prepareRun, triggers the schedule with overlap SKIP and
   * answers with the run it started. 409 while a run is in progress.
   */
  async runNow(id: string, dto: RunNowDto) {
    const row = await this.row(id);
    await assertNoRunningRun(this.ds, id);
    const before = await this.settledSchedule(id);
    if (before.runningWorkflowIds.length) throw conflict(`a run of this task is already in progress (workflow ${before.runningWorkflowIds[0]})`);
    await this.nextWorkflowIdSecond(id);
    const mode = dto.mode ?? row.type;
    await this.ds.query(`UPDATE import_task SET pending_trigger = $2 WHERE id = $1`, [id, JSON.stringify({ trigger: 'manual', mode, requestedAt: new Date().toISOString() })]);
    const started = await this.triggerAndAwaitStart(id);
    if (!started) throw conflict('the schedule did not start a run (another run is in progress)');
    await this.ds.query(
      `INSERT INTO run (task_id, workflow_id, temporal_run_id, mode, trigger, status, phase)
       VALUES ($1, $2, $3, $4, 'manual', 'running', 'queued') ON CONFLICT DO NOTHING`,
      [id, started.workflowId, started.runId, mode],
    );
    const runs: RunRow[] = await this.ds.query(`SELECT * FROM run WHERE workflow_id = $1`, [started.workflowId]);
    if (!runs.length) throw conflict('a run of this task is already in progress');
    return runView(runs[0], this.config);
  }

  /**
   * The schedule's state once a run that our database already shows as finished has also closed in
   * Temporal (it does so a moment after finishRun), so run-now right after a run is not refused.
   */
  private async settledSchedule(taskId: string) {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const state = await this.schedules.describe(taskId);
      if (!state) throw new ProblemException(503, 'the task has no Temporal schedule yet; it is recreated at API start-up, try again shortly');
      if (!state.runningWorkflowIds.length || Date.now() > deadline) return state;
      const known: Array<{ status: string }> = await this.ds.query(`SELECT status FROM run WHERE workflow_id = ANY($1)`, [state.runningWorkflowIds]);
      if (known.some((r) => r.status === 'running') || known.length === 0) return state;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Scheduled workflow ids end in the action time to the second: a trigger within the same second
   * as the previous run would reuse its workflow id, so wait for the next second.
   */
  private async nextWorkflowIdSecond(taskId: string): Promise<void> {
    const rows: Array<{ workflow_id: string }> = await this.ds.query(
      `SELECT workflow_id FROM run WHERE task_id = $1 ORDER BY started_at DESC LIMIT 1`,
      [taskId],
    );
    const m = rows[0] && /-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(rows[0].workflow_id.split('#')[0]);
    if (!m) return;
    const lastSecond = Date.parse(m[1]);
    const wait = lastSecond + 1000 - Date.now();
    if (wait > 0 && wait <= 1000) await new Promise((r) => setTimeout(r, wait + 20));
  }

  /**
   * Triggers the schedule and waits for the workflow it starts. The scheduler learns that the
   * previous run closed a moment after Temporal reports it closed, and drops a SKIP trigger that
   * arrives in between; triggering again is safe because SKIP never starts a second run.
   */
  private async triggerAndAwaitStart(taskId: string): Promise<{ workflowId: string; runId: string } | undefined> {
    const finished: Array<{ temporal_run_id: string }> = await this.ds.query(
      `SELECT temporal_run_id FROM run WHERE task_id = $1 AND status <> 'running' AND temporal_run_id IS NOT NULL ORDER BY started_at DESC LIMIT 5`,
      [taskId],
    );
    const old = new Set(finished.map((r) => r.temporal_run_id));
    const deadline = Date.now() + 10_000;
    let nextTrigger = 0;
    while (Date.now() < deadline) {
      if (Date.now() >= nextTrigger) {
        await this.schedules.trigger(taskId);
        nextTrigger = Date.now() + 2_000;
      }
      const d = await this.schedules.describeRaw(taskId);
      const running = d.info.runningActions.find((a) => !old.has(a.workflow.firstExecutionRunId));
      if (running) return { workflowId: running.workflow.workflowId, runId: running.workflow.firstExecutionRunId };
      await new Promise((r) => setTimeout(r, 150));
    }
    return undefined;
  }

  /** Start-up reconciliation: recreate missing schedules, remove orphans, log what changed. */
  async reconcileSchedules(): Promise<{ created: string[]; removed: string[] }> {
    const rows: TaskRow[] = await this.ds.query(`SELECT * FROM import_task`);
    const existing = new Set(await this.schedules.listTaskIds());
    const created: string[] = [];
    for (const row of rows) {
      if (existing.has(row.id)) continue;
      await this.schedules.upsert(this.scheduled(row.id, definitionOf(row)));
      created.push(row.id);
      this.logger.warn(`recreated missing schedule of task "${row.name}" (${row.id})`);
    }
    const known = new Set(rows.map((r) => r.id));
    const removed: string[] = [];
    for (const id of existing) {
      if (known.has(id)) continue;
      // a task being created right now has its schedule before its row commits: leave young ones alone
      const createdAt = await this.schedules.createdAt(id);
      if (!createdAt || Date.now() - createdAt.getTime() < ORPHAN_MIN_AGE_MS) continue;
      await this.schedules.delete(id);
      removed.push(id);
      this.logger.warn(`removed orphan schedule import-task-${id} (no such task)`);
    }
    this.logger.log(`schedule reconciliation: ${rows.length} tasks, ${created.length} schedules recreated, ${removed.length} orphans removed`);
    return { created, removed };
  }
}

function pickConfig(def: TaskDefinition) {
  return Object.fromEntries(CONFIG_KEYS.map((k) => [k, def[k] ?? null]));
}
