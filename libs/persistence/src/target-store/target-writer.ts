import type { Sql } from '../db';

/** Writing the target store during load: one writer per table, each statement with named parameters. */
export class TargetWriter {
  constructor(private readonly db: Sql) {}
}
