import { Injectable } from '@nestjs/common';
import { ImportTaskRepository, RunRepository, TargetStoreRepository } from '@app/persistence';

/** Prometheus text exposition of run and datacard counts, read from the database. */
@Injectable()
export class MetricsService {
  constructor(
    private readonly runs: RunRepository,
    private readonly store: TargetStoreRepository,
    private readonly tasks: ImportTaskRepository,
  ) {}

  async render(): Promise<string> {
    const runs = await this.runs.countByStatus();
    const cards = await this.store.datacardCounts();
    const tasks = await this.tasks.count();
    const lines = [
      '# HELP scim_import_runs Import runs by status.',
      '# TYPE scim_import_runs gauge',
      ...runs.map((r) => `scim_import_runs{status="${r.status}"} ${r.count}`),
      '# HELP scim_import_datacards Datacards in the target store.',
      '# TYPE scim_import_datacards gauge',
      ...cards.map((c) => `scim_import_datacards{template="${c.templateCode.replace(/["\\\n]/g, '_')}",status="${c.status}"} ${c.count}`),
      '# HELP scim_import_tasks Import tasks defined.',
      '# TYPE scim_import_tasks gauge',
      `scim_import_tasks ${tasks}`,
      '# HELP process_resident_memory_bytes Resident memory of the API process.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    ];
    return lines.join('\n') + '\n';
  }
}
