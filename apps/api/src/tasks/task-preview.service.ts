import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { ImportConfigError, PreviewSourceError, previewTask, scimClientFactoryFor, type PreviewResult, type ScimClientFactory } from '@app/import';
import { SecretBox, SecretKeyMismatchError } from '@app/persistence';
import { conflict, ProblemException, unprocessable } from '../common/problem';
import type { CreateTaskDto, UpdateTaskDto } from './task.dto';
import type { TaskDefinition } from './task-validation';
import { ScheduleAdviceService } from './schedule-advice.service';
import type { ScheduleAdvice } from './schedule-advice';
import { TasksService } from './tasks.service';

/** POST /tasks/preview and /tasks/:id/preview: validated like create/update, then previewTask (libs/import), which writes nothing. */
@Injectable()
export class TaskPreviewService {
  constructor(
    private readonly ds: DataSource,
    private readonly box: SecretBox,
    private readonly tasks: TasksService,
    private readonly advice: ScheduleAdviceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.scimClients = scimClientFactoryFor(config);
  }

  /** SCIM clients under the deployment's outbound address rule (OUTBOUND_ALLOWED_NETWORKS), as in runs */
  private readonly scimClients: ScimClientFactory;

  /** An unsaved task body, validated as create validates it. `signal` ends the preview early (PreviewGate). */
  async previewNew(dto: CreateTaskDto, limit: number, signal?: AbortSignal) {
    const def = this.tasks.definitionFromCreate(dto);
    await this.tasks.validate(def);
    return this.preview(null, def, limit, signal);
  }

  /** A saved task, with the changed fields of `dto` merged over it and validated as update validates them. */
  async previewSaved(id: string, dto: UpdateTaskDto, limit: number, signal?: AbortSignal) {
    const def = await this.tasks.definitionWithChanges(id, dto);
    await this.tasks.validate(def);
    return this.preview(id, def, limit, signal);
  }

  private async preview(taskId: string | null, def: TaskDefinition, limit: number, signal?: AbortSignal) {
    let result: PreviewResult;
    try {
      result = await previewTask(
        { dataSource: this.ds, secretBox: this.box, signal, maxResponseBytes: this.config.previewMaxResponseBytes, scimClientFactory: this.scimClients },
        {
          taskId,
          type: def.type,
          mappingsType: def.mappingsType,
          connectorId: def.connectorId,
          config: { filters: def.filters, failure: def.failure, identity: def.identity, access: def.access, generic: def.generic, cache: def.cache, safety: def.safety },
          limit,
        },
      );
    } catch (err) {
      if (err instanceof ImportConfigError) throw unprocessable(err.message);
      if (err instanceof PreviewSourceError) throw new ProblemException(502, err.message);
      if (err instanceof SecretKeyMismatchError) throw conflict(err.message);
      throw err;
    }
    const totals = result.resources;
    const known = totals.every((r) => r.totalResults !== null);
    const count = (kind: string) => totals.filter((r) => r.kind === kind).reduce((n, r) => n + (r.totalResults ?? 0), 0);
    const size = known ? { users: count('identity'), groups: count('access'), generic: count('generic'), measuredBy: "from the preview's totalResults" } : undefined;
    const scheduleAdvice: ScheduleAdvice[] = await this.advice.advise({ id: taskId ?? 'unsaved', type: def.type, schedule: def.schedule, enabled: def.enabled }, size);
    return { taskId, limit, ...result, scheduleAdvice };
  }
}
