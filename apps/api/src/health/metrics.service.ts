import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Prometheus text exposition of run and datacard counts, read from the database. */
@Injectable()
export class MetricsService {
  constructor(private readonly ds: DataSource) {}

  async render(): Promise<string> {
    const runs: Array<{ status: string; n: string }> = await this.ds.query(`SELECT status, count(*)::text AS n FROM run GROUP BY status`);
    const cards: Array<{ template_code: string; status: string; n: string }> = await this.ds.query(
      `SELECT template_code, status, count(*)::text AS n FROM datacard GROUP BY template_code, status`,
    );
    const tasks: Array<{ n: string }> = await this.ds.query(`SELECT count(*)::text AS n FROM import_task`);
    const lines = [
      '# HELP scim_import_runs Import runs by status.',
      '# TYPE scim_import_runs gauge',
      ...runs.map((r) => `scim_import_runs{status="${r.status}"} ${r.n}`),
      '# HELP scim_import_datacards Datacards in the target store.',
      '# TYPE scim_import_datacards gauge',
      ...cards.map((c) => `scim_import_datacards{template="${c.template_code.replace(/["\\\n]/g, '_')}",status="${c.status}"} ${c.n}`),
      '# HELP scim_import_tasks Import tasks defined.',
      '# TYPE scim_import_tasks gauge',
      `scim_import_tasks ${tasks[0]?.n ?? 0}`,
      '# HELP process_resident_memory_bytes Resident memory of the API process.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    ];
    return lines.join('\n') + '\n';
  }
}
