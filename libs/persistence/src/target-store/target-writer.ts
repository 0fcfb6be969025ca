import type { Db, Sql, StatementWatch } from '../db';
import { IN_WINDOW, TO_LOAD, windowParams, type LoadWindow } from '../staging/load-window';

/** A datacard as a load batch found it before writing (only asked when a mapping reactivates). */
export interface ExistingCard {
  id: string;
  uniqueValue: string;
  status: string;
}

/** The datacard a load batch's record now has; `inserted` when the batch created it. */
export interface UpsertedCard {
  id: string;
  uniqueValue: string;
  inserted: boolean;
}

/** What a load batch writes its datacards with (see upsertDatacards). */
export interface DatacardUpsert {
  window: LoadWindow;
  templateCode: string;
  folderCode: string;
  taskId: string;
  /** status attribute of a removed record: kept as removed unless the mapping reactivates */
  statusAttribute: string | null;
  /** value the status attribute gets when a removed record reappears (removal.reactivateValue) */
  reactivateValue: string | null;
  /** the reference attribute that holds a group's members, when memberships are mapped */
  membersAttribute: string | null;
  /** group source id -> the account datacards of its members (with membersAttribute) */
  membersByGroup: Map<string, string[]> | null;
}

/**
 * Writing the target store during load: one writer per table, each statement with named
 * parameters. Every writer of a batch joins the batch's transaction (`tx`). No statement joins
 * staging to the target tables: each reads staging by key range, or a target table by its own
 * key, or arrays the batch built in node, so its plan stays linear in the batch whatever the
 * planner's statistics say about tables this very run is filling.
 */
export class TargetWriter {
  constructor(private readonly db: Db) {}

  /** The existing datacards of these unique values, before the batch's upsert changes them. */
  async existingCards({ templateCode, uniqueValues }: { templateCode: string; uniqueValues: string[] }, tx: Sql = this.db): Promise<ExistingCard[]> {
    const { rows } = await tx.query<{ id: string; unique_value: string; status: string }>(
      `SELECT id, unique_value, status FROM datacard WHERE template_code = $1 AND unique_value = ANY($2::text[])`,
      [templateCode, uniqueValues],
    );
    return rows.map((d) => ({ id: d.id, uniqueValue: d.unique_value, status: d.status }));
  }

  /**
   * Creates or updates the datacard of each record of the batch window, by unique value. A
   * removed datacard that reappears keeps its removed status attribute, unless the mapping has a
   * reactivate value: then it gets that value and status active again.
   */
  async upsertDatacards(u: DatacardUpsert, tx: Sql = this.db): Promise<UpsertedCard[]> {
    const { rows } = await tx.query<{ id: string; unique_value: string; inserted: boolean }>(
      `INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
       SELECT $5, $6, s.unique_value,
              CASE WHEN $10::text IS NULL THEN s.mapped ELSE s.mapped || jsonb_build_object($10::text, COALESCE($11::jsonb -> s.source_id, '[]'::jsonb)) END,
              $7, 'active' FROM staging_record s
        WHERE ${IN_WINDOW} AND ${TO_LOAD}
       ON CONFLICT (template_code, unique_value) DO UPDATE
         SET attributes = CASE
               WHEN datacard.status <> 'removed' OR $8::text IS NULL THEN datacard.attributes || EXCLUDED.attributes
               WHEN $9::text IS NOT NULL THEN datacard.attributes || EXCLUDED.attributes || jsonb_build_object($8::text, $9::text)
               ELSE datacard.attributes || (EXCLUDED.attributes - $8::text) END,
             status = CASE WHEN datacard.status = 'removed' AND $9::text IS NOT NULL THEN 'active' ELSE datacard.status END,
             folder_code = EXCLUDED.folder_code, task_id = EXCLUDED.task_id, updated_at = now()
       RETURNING id, unique_value, (xmax = 0) AS inserted`,
      [
        ...windowParams(u.window),
        u.templateCode,
        u.folderCode,
        u.taskId,
        u.statusAttribute,
        u.reactivateValue,
        u.membersAttribute,
        u.membersAttribute && u.membersByGroup ? JSON.stringify(Object.fromEntries(u.membersByGroup)) : null,
      ],
    );
    return rows.map((d) => ({ id: d.id, uniqueValue: d.unique_value, inserted: d.inserted }));
  }

  /**
   * Drops the links of these groups that are no longer members: each link is checked against its
   * group's members in one jsonb parameter (`keep`: group card -> { member card: true }), so
   * there is no join and the plan is the index scan of those groups' links whatever the statistics say.
   */
  async dropLinksNotKept(
    { groupIds, attributeCode, keep }: { groupIds: string[]; attributeCode: string; keep: Record<string, Record<string, true>> },
    tx: Sql = this.db,
  ): Promise<void> {
    await tx.query(
      `DELETE FROM datacard_link l
        WHERE l.datacard_id = ANY($1::uuid[]) AND l.attribute_code = $2::text
          AND NOT (($3::jsonb -> l.datacard_id::text) ? l.target_id::text)`,
      [groupIds, attributeCode, JSON.stringify(keep)],
    );
  }

  /**
   * Adds the links (groupIds[i] -> targetIds[i]). Groups the batch created have no links yet
   * (`newGroups`): nothing to conflict with (members are distinct), so their links skip the
   * conflict check; an existing group's links may already be there.
   */
  async insertLinks(
    { attributeCode, groupIds, targetIds, newGroups }: { attributeCode: string; groupIds: string[]; targetIds: string[]; newGroups: boolean },
    tx: Sql = this.db,
  ): Promise<void> {
    const onConflict = newGroups ? '' : 'ON CONFLICT DO NOTHING';
    await tx.query(
      `INSERT INTO datacard_link (datacard_id, attribute_code, target_id)
       SELECT k.g, $1::text, k.t FROM unnest($2::uuid[], $3::uuid[]) AS k(g, t) ${onConflict}`,
      [attributeCode, groupIds, targetIds],
    );
  }

  /**
   * Fresh statistics of the tables group members resolve through, once the accounts are loaded:
   * on a first run the planner would otherwise probe a table it believes empty.
   */
  async analyzeForMemberLookup(watch: StatementWatch): Promise<void> {
    await this.db.longQuery(watch, 'ANALYZE datacard_sighting, datacard');
  }

  /**
   * Fresh statistics of every table load wrote, for what reads them next (removal reconciliation,
   * the next run's diff): a first run grew them from empty, and a task cache estimated at a few
   * hundred rows per task made a later diff compare 50M pairs.
   */
  async analyzeAfterLoad(watch: StatementWatch): Promise<void> {
    await this.db.longQuery(watch, 'ANALYZE datacard_sighting, datacard, datacard_link');
  }

  /**
   * The one failure datacard of a failed run, in the task's failure folder: `uniqueValue` is the run
   * row that shows the failure, so a retried recordFailure updates the same card. Returns its id,
   * or null when the folder does not exist (a missing failure folder must not turn recording the
   * failure into a failure of its own).
   */
  async writeFailureCard(
    { templateCode, folderCode, uniqueValue, attributeCode, text, taskId }: { templateCode: string; folderCode: string; uniqueValue: string; attributeCode: string; text: string; taskId: string },
    tx: Sql = this.db,
  ): Promise<string | null> {
    const usable = (await tx.query(`SELECT 1 FROM folder WHERE code = $1 AND template_code = $2`, [folderCode, templateCode])).rowCount === 1;
    if (!usable) return null;
    const card = await tx.query<{ id: string }>(
      `INSERT INTO datacard (template_code, folder_code, unique_value, attributes, task_id, status)
       VALUES ($1, $2, $3, jsonb_build_object($4::text, $5::text), $6, 'active')
       ON CONFLICT (template_code, unique_value) DO UPDATE SET attributes = datacard.attributes || EXCLUDED.attributes, updated_at = now()
       RETURNING id`,
      [templateCode, folderCode, uniqueValue, attributeCode, text, taskId],
    );
    return card.rows[0].id;
  }
}
