import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ConnectorRepository, Db, ImportTaskRepository, isUniqueViolation, RunRepository, SightingRepository, TargetStoreRepository, type ImportTaskFields, type ImportTaskRow, type Sql } from '@app/persistence';
import { TaskScheduleService, workflowIdPrefixForTask, resourcePathsOf, type ScheduledTask, type TaskScheduleSpec } from '@app/temporal';
import { badRequest, conflict, notFound, ProblemException, unprocessable } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { runSummaryView, runView } from '../runs/run-view';
import { RunHousekeepingService } from '../runs/run-housekeeping.service';
import { RunStarter } from '../runs/run-starter';
import { isPageKey } from '../runs/run-list-query';
import type { CreateTaskDto, RunNowDto, UpdateTaskDto } from './task.dto';
import { validateTaskDefinition, type TaskDefinition } from './task-validation';
import { ScheduleAdviceService } from './schedule-advice.service';
import { ifMatchAllows, preconditionFailed, taskEtag } from '../common/etag';

/** Schedules without a task younger than this may belong to a create still in flight. */
const ORPHAN_MIN_AGE_MS = 10 * 60_000;

/** How long the task list waits for Temporal's schedule listing before it shows no next run times. */
const SCHEDULE_LISTING_TIMEOUT_MS = 3_000;

const CONFIG_KEYS = ['filters', 'failure', 'identity', 'access', 'generic', 'cache', 'safety'] as const;

/** Plain JSON without undefined (DTO instances carry class prototypes and undefined fields). */
function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function definitionOf(row: ImportTaskRow): TaskDefinition {
  return {
    name: row.name,
    connectorId: row.connectorId,
    usage: row.usage,
    type: row.type,
    mappingsType: row.mappingsType,
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

/** Tasks and their Temporal Schedules, kept in step: a failed Temporal call rolls the database back. */
@Injectable()
export class TasksService {
  private readonly logger = new Logger('tasks');

  constructor(
    private readonly db: Db,
    private readonly tasks: ImportTaskRepository,
    private readonly connectors: ConnectorRepository,
    private readonly targetStore: TargetStoreRepository,
    private readonly sightings: SightingRepository,
    private readonly runs: RunRepository,
    private readonly schedules: TaskScheduleService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly advice: ScheduleAdviceService,
    private readonly housekeeping: RunHousekeepingService,
    private readonly runStarter: RunStarter,
  ) {}

  /** A task view with its schedule advice (advice only, see schedule-advice.ts). */
  private async advised<V extends ReturnType<TasksService['view']>>(view: V): Promise<V & { scheduleAdvice: Awaited<ReturnType<ScheduleAdviceService['advise']>> }> {
    return { ...view, scheduleAdvice: await this.advice.advise(view) };
  }

  view(row: ImportTaskRow) {
    return { id: row.id, ...definitionOf(row), configVersion: row.configVersion, watermark: row.watermark?.toISOString() ?? null, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
  }

  /** A 412 with the task as it is now, unless If-Match names its version (or is absent). */
  private checkIfMatch(row: ImportTaskRow, ifMatch: string | undefined): void {
    const etag = taskEtag(row);
    if (!ifMatchAllows(ifMatch, etag)) throw preconditionFailed(`task ${row.id}`, this.view(row), etag);
  }

  /** The task; locked until the end of `tx` when given. 404 when there is none. */
  private async row(id: string, tx?: Sql): Promise<ImportTaskRow> {
    const row = tx ? await this.tasks.lock(id, tx) : await this.tasks.get(id);
    if (!row) throw notFound(`task ${id} not found`);
    return row;
  }

  /** Every rule of a task definition: 400 for shape problems, 422 for semantic ones (every field listed). */
  async validate(def: TaskDefinition): Promise<void> {
    const [connectorExists, templates, folders] = await Promise.all([
      /^[0-9a-f-]{36}$/i.test(def.connectorId) ? this.connectors.exists(def.connectorId) : Promise.resolve(false),
      this.targetStore.templateAttributes(),
      this.targetStore.folderTemplates(),
    ]);
    const outcome = validateTaskDefinition(def, { connectorExists, templates, folders });
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

  /** The definition a create body stands for, defaults filled in (not yet validated). */
  definitionFromCreate(dto: CreateTaskDto): TaskDefinition {
    const body = plain(dto);
    return {
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
  }

  async create(dto: CreateTaskDto) {
    const def = this.definitionFromCreate(dto);
    await this.validate(def);
    let createdId: string | undefined;
    let row: ImportTaskRow;
    try {
      row = await this.db.transaction(async (tx) => {
        const inserted = await this.tasks.insert(fieldsOf(def), tx);
        try {
          await this.schedules.upsert(this.scheduled(inserted.id, def));
        } catch (err) {
          throw this.temporalProblem(err, 'creating the task');
        }
        createdId = inserted.id;
        return inserted;
      });
    } catch (err) {
      // the schedule exists but the row did not commit: remove the schedule again
      if (createdId && !(err instanceof ProblemException)) await this.schedules.delete(createdId).catch(() => undefined);
      if (isUniqueViolation(err)) throw conflict(`a task named "${def.name}" already exists`, [{ field: 'name', message: 'already exists' }]);
      throw err;
    }
    // outside the try: the task is committed, whatever happens to its advice
    return { ...(await this.advised(this.view(row))), lastRun: null, nextRunAt: await this.nextRunAt(row.id) };
  }

  async list() {
    const rows = await this.tasks.list();
    const views = rows.map((r) => this.view(r));
    const ids = rows.map((r) => r.id);
    const [advice, lastRuns, times] = await Promise.all([
      this.advice.adviseAll(views),
      this.runs.newestOfTasks(ids),
      rows.some((r) => r.enabled && r.schedule) ? this.scheduleTimes() : Promise.resolve(new Map<string, Date[]>()),
    ]);
    const now = Date.now();
    return {
      items: rows.map((r, i) => {
        const last = lastRuns.get(r.id);
        // the task's own word first: Temporal's listing may lag a pause by a moment
        const next = r.enabled && r.schedule ? times?.get(r.id)?.find((t) => t.getTime() > now) : undefined;
        return { ...views[i], scheduleAdvice: advice.get(r.id) ?? [], lastRun: last ? runSummaryView(last) : null, nextRunAt: next?.toISOString() ?? null };
      }),
      total: rows.length,
    };
  }

  /** Every task's next schedule times from one listing; undefined (and a warning) when Temporal does not answer: the list is shown without them. */
  private async scheduleTimes(): Promise<Map<string, Date[]> | undefined> {
    try {
      return await this.schedules.nextRunTimesOfAll(SCHEDULE_LISTING_TIMEOUT_MS);
    } catch (err) {
      this.logger.warn(`task list without next run times: listing the schedules failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** Schedule state of one task; undefined (and a warning) when Temporal does not answer. */
  private async scheduleState(id: string) {
    return this.schedules.describe(id).catch((err: unknown) => {
      this.logger.warn(`describe schedule of task ${id}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
  }

  /** When the task's schedule fires next; null when it is paused, missing or Temporal does not answer. */
  private async nextRunAt(id: string): Promise<string | null> {
    const state = await this.scheduleState(id);
    return state && !state.paused ? (state.nextRunTimes[0] ?? null) : null;
  }

  async get(id: string) {
    const row = await this.row(id);
    const [state, lastRuns] = await Promise.all([this.scheduleState(id), this.runs.newestOfTasks([id])]);
    const scheduleState = state ? { paused: state.paused, nextRunTimes: state.paused ? [] : state.nextRunTimes } : { paused: true, nextRunTimes: [], missing: true };
    return {
      ...(await this.advised(this.view(row))),
      scheduleState,
      lastRun: lastRuns.has(id) ? runView(lastRuns.get(id)!, this.config) : null,
      nextRunAt: scheduleState.nextRunTimes[0] ?? null,
    };
  }

  /** Updates the task; with `ifMatch`, only the version its sender read (else 412 with the current task). */
  async update(id: string, dto: UpdateTaskDto, ifMatch?: string) {
    const def = await this.definitionWithChanges(id, dto);
    await this.validate(def);
    const row = await this.db.transaction(async (tx) => {
      // locked: a concurrent update with the same If-Match waits here, then finds another version
      this.checkIfMatch(await this.row(id, tx), ifMatch);
      const updated = await this.tasks.update(id, fieldsOf(def), tx);
      try {
        await this.schedules.upsert(this.scheduled(id, def));
      } catch (err) {
        throw this.temporalProblem(err, 'updating the task');
      }
      if (!updated) throw notFound(`task ${id} not found`);
      return updated;
    });
    const [view, lastRuns, nextRunAt] = await Promise.all([this.advised(this.view(row)), this.runs.newestOfTasks([id]), this.nextRunAt(id)]);
    const last = lastRuns.get(id);
    return { ...view, lastRun: last ? runSummaryView(last) : null, nextRunAt };
  }

  /** The saved task with the fields of an update body merged over it (not yet validated); 404 for an unknown task. */
  async definitionWithChanges(id: string, dto: UpdateTaskDto): Promise<TaskDefinition> {
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
    return def;
  }

  /** Deletes the task and its schedule; with `ifMatch`, only the version its sender read. */
  async remove(id: string, ifMatch?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      this.checkIfMatch(await this.row(id, tx), ifMatch);
      await this.sightings.clearTaskCache(id, tx);
      await this.tasks.delete(id, tx);
      try {
        await this.schedules.delete(id);
      } catch (err) {
        throw this.temporalProblem(err, 'deleting the task');
      }
    });
  }

  async setPaused(id: string, paused: boolean) {
    await this.db.transaction(async (tx) => {
      const row = await this.row(id, tx);
      await this.tasks.setEnabled(id, !paused, tx);
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
    await this.sightings.clearTaskCache(id);
  }

  /** The task's runs, newest first: GET /runs with the task as its filter, so both page alike (to the microsecond). */
  async listRuns(id: string, limit = 50, cursor?: string) {
    await this.row(id);
    const page = await this.runs.listPage({ taskId: id }, limit, decodeCursor(cursor, isPageKey));
    return { items: page.rows.map((r) => runView(r, this.config)), nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /**
   * Run now: starts the run's workflow through the run launcher and answers with its run row (row
   * and workflow in one transaction, 409 when a run of the task is in progress). Rows that say
   * running are first checked against Temporal, so a terminated run never blocks the task.
   */
  async runNow(id: string, dto: RunNowDto) {
    const row = await this.row(id);
    await this.housekeeping.reconcile({ taskId: id });
    const mode = dto.mode ?? row.type;
    const def = definitionOf(row);
    const started = await this.runStarter.start({
      taskId: id,
      workflowId: `${workflowIdPrefixForTask(id)}-manual-${new Date().toISOString()}`,
      input: { taskId: id, trigger: 'manual', mode, ...(dto.dryRun === true ? { dryRun: true } : {}) },
      description: { taskName: row.name, mode, trigger: 'manual', connectorId: def.connectorId, resources: resourcePathsOf(def.mappingsType, def.generic?.resourcePath) },
    });
    return runView(started, this.config);
  }

  /** Start-up reconciliation: recreate missing schedules, remove orphans, log what changed. */
  async reconcileSchedules(): Promise<{ created: string[]; removed: string[] }> {
    const rows = await this.tasks.list();
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

/** The row fields a definition is stored as (the rule-bearing sections in `config`). */
function fieldsOf(def: TaskDefinition): ImportTaskFields {
  return {
    name: def.name,
    connectorId: def.connectorId,
    usage: def.usage,
    type: def.type,
    mappingsType: def.mappingsType,
    schedule: def.schedule,
    enabled: def.enabled,
    config: Object.fromEntries(CONFIG_KEYS.map((k) => [k, def[k] ?? null])),
  };
}
