import type { Sql } from '../db';

/** Table import_task: the tasks, their configuration and their watermark. */
export class ImportTaskRepository {
  constructor(private readonly db: Sql) {}
}
