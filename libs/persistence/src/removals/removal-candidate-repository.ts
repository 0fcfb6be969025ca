import type { Sql } from '../db';

/** Table removal_candidate: the records a full run would mark removed, computed once and applied in batches. */
export class RemovalCandidateRepository {
  constructor(private readonly db: Sql) {}
}
