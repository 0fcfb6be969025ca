import type { Sql } from '../db';

/** Table connector: the SCIM sources, their public settings and their sealed secrets. */
export class ConnectorRepository {
  constructor(private readonly db: Sql) {}
}
