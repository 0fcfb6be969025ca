import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Memberships are the bulk of a load (five per account): a foreign key on the member side makes
 * every link row lock its account's datacard (FOR KEY SHARE rewrites that row's header), which
 * cost as much as writing the links themselves. The import resolves members to datacards in the
 * same transaction that writes the links, and datacards are never deleted (removal is a status),
 * so the member side keeps its index but loses the constraint. The owner side keeps its key.
 */
export class LinkTargetWithoutForeignKey1764547200000 implements MigrationInterface {
  name = 'LinkTargetWithoutForeignKey1764547200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE datacard_link DROP CONSTRAINT IF EXISTS datacard_link_target_id_fkey`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // links whose member card no longer exists could not satisfy the key again
    await q.query(`DELETE FROM datacard_link l WHERE NOT EXISTS (SELECT 1 FROM datacard d WHERE d.id = l.target_id)`);
    await q.query(`ALTER TABLE datacard_link ADD CONSTRAINT datacard_link_target_id_fkey FOREIGN KEY (target_id) REFERENCES datacard(id) ON DELETE CASCADE`);
  }
}
