import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A connector may cap the size of one SCIM answer (one page). NULL means the client's default
 * (32 MiB), so existing connectors keep working unchanged.
 */
export class ConnectorMaxResponseBytes1764640800000 implements MigrationInterface {
  name = 'ConnectorMaxResponseBytes1764640800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connector ADD COLUMN max_response_bytes integer`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE connector DROP COLUMN max_response_bytes`);
  }
}
