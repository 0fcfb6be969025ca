import type { Sql } from '../db';

/** Tables datacard_sighting and task_cache: which task last saw which card under which source id, and what it last pushed. */
export class SightingRepository {
  constructor(private readonly db: Sql) {}
}
