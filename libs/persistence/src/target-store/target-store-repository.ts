import type { Sql } from '../db';

/** Reading the target store (datacard, datacard_link, template, folder) for the API and for preview. */
export class TargetStoreRepository {
  constructor(private readonly db: Sql) {}
}
