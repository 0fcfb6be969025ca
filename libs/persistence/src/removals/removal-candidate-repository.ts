import type { Sql } from '../db';

/** Table removal_candidate: the records a full run would mark removed, computed once and applied in batches. */
export class RemovalCandidateRepository {
  constructor(private readonly db: Sql) {}

  /**
   * Up to `limit` candidates of work run `workId` with their datacards as they are now, in
   * datacard id order after the last one seen (GET /runs/:id/removal-candidates).
   */
  async pageWithDatacards(
    workId: string,
    limit: number,
    afterDatacardId?: string,
  ): Promise<Array<{ datacardId: string; kind: string; applied: boolean; uniqueValue: string; templateCode: string; folderCode: string; status: string }>> {
    const { rows } = await this.db.query<{ datacard_id: string; kind: string; applied: boolean; unique_value: string; template_code: string; folder_code: string; status: string }>(
      `SELECT c.datacard_id, c.kind, c.applied, d.unique_value, d.template_code, d.folder_code, d.status
         FROM removal_candidate c JOIN datacard d ON d.id = c.datacard_id
        WHERE c.run_id = $1 AND ($2::uuid IS NULL OR c.datacard_id > $2::uuid)
        ORDER BY c.datacard_id LIMIT $3`,
      [workId, afterDatacardId ?? null, limit],
    );
    return rows.map((r) => ({
      datacardId: r.datacard_id,
      kind: r.kind,
      applied: r.applied,
      uniqueValue: r.unique_value,
      templateCode: r.template_code,
      folderCode: r.folder_code,
      status: r.status,
    }));
  }
}
