import type { Sql } from '../db';
import { decisionJoins, decisionSql } from '../staging/decision-sql';

/** One attribute a template defines for its datacards. */
export interface TemplateAttributeDef {
  code: string;
  name: string;
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'reference';
  multiple?: boolean;
}

/** One row of table `template`. */
export interface TemplateRow {
  code: string;
  name: string;
  attributes: TemplateAttributeDef[];
  createdAt: Date;
}

interface TemplateColumns {
  code: string;
  name: string;
  attributes: TemplateAttributeDef[];
  created_at: Date;
}

export function templateRowFrom(c: TemplateColumns): TemplateRow {
  return { code: c.code, name: c.name, attributes: c.attributes, createdAt: c.created_at };
}

/** One row of table `folder`: where datacards of one template are kept. */
export interface FolderRow {
  code: string;
  name: string;
  templateCode: string;
  createdAt: Date;
}

interface FolderColumns {
  code: string;
  name: string;
  template_code: string;
  created_at: Date;
}

export function folderRowFrom(c: FolderColumns): FolderRow {
  return { code: c.code, name: c.name, templateCode: c.template_code, createdAt: c.created_at };
}

/** The rows of table `datacard_link` of one datacard, grouped: attribute code → target datacard ids, in id order. */
export type DatacardLinks = Record<string, string[]>;

/** One row of table `datacard`, with its links (memberships live in datacard_link). */
export interface DatacardRow {
  id: string;
  templateCode: string;
  folderCode: string;
  uniqueValue: string;
  attributes: Record<string, unknown>;
  /** the task that wrote it last */
  taskId: string | null;
  status: string;
  createdAt: Date;
  updatedAt: Date;
  links: DatacardLinks;
}

interface DatacardColumns {
  id: string;
  template_code: string;
  folder_code: string;
  unique_value: string;
  attributes: Record<string, unknown>;
  task_id: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
  links: DatacardLinks | null;
}

export function datacardRowFrom(c: DatacardColumns): DatacardRow {
  return {
    id: c.id,
    templateCode: c.template_code,
    folderCode: c.folder_code,
    uniqueValue: c.unique_value,
    attributes: c.attributes,
    taskId: c.task_id,
    status: c.status,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    links: c.links ?? {},
  };
}

/** Which datacards to list (all given conditions hold), and the page. */
export interface DatacardQuery {
  template?: string;
  folder?: string;
  status?: string;
  taskId?: string;
  /** found in the unique value or anywhere in the attributes (case-insensitive, taken literally) */
  text?: string;
  /** the page starts after this datacard id */
  afterId?: string;
  limit: number;
}

/** A mapped record of a preview, as the decision reads it. */
export interface PreviewRecordKey {
  sourceId: string | null;
  uniqueValue: string | null;
  hash: string;
}

/** What a run would do with a previewed record, and what it compared. */
export interface PreviewDecision {
  sourceId: string;
  /** the existing datacard of the record's unique value */
  datacardId: string | null;
  attributes: Record<string, unknown> | null;
  cacheHash: string | null;
  /** the task cache entry is younger than the latest cache clear */
  cacheFresh: boolean | null;
  /** the source id this task's sighting of the card names */
  sightedSource: string | null;
  decision: 'create' | 'update' | 'unchanged';
}

const DATACARD_SELECT = `
  SELECT d.*, (SELECT jsonb_object_agg(attribute_code, ids) FROM (
      SELECT attribute_code, jsonb_agg(target_id ORDER BY target_id) AS ids FROM datacard_link l WHERE l.datacard_id = d.id GROUP BY attribute_code
    ) g) AS links
  FROM datacard d`;

/** Reading the target store (datacard, datacard_link, template, folder) for the API and for preview; the API's templates and folders. */
export class TargetStoreRepository {
  constructor(private readonly db: Sql) {}

  /** Attribute definitions of a template; null when it does not exist. */
  async attributes(templateCode: string): Promise<TemplateAttributeDef[] | null> {
    const { rows } = await this.db.query<{ attributes: TemplateAttributeDef[] }>(`SELECT attributes FROM template WHERE code = $1`, [templateCode]);
    return rows[0] ? rows[0].attributes : null;
  }

  /** The template whose datacards the folder holds; null when the folder does not exist. */
  async templateOfFolder(folderCode: string): Promise<string | null> {
    const { rows } = await this.db.query<{ template_code: string }>(`SELECT template_code FROM folder WHERE code = $1`, [folderCode]);
    return rows[0]?.template_code ?? null;
  }

  async templates(): Promise<TemplateRow[]> {
    const { rows } = await this.db.query<TemplateColumns>(`SELECT * FROM template ORDER BY code`);
    return rows.map(templateRowFrom);
  }

  async template(code: string): Promise<TemplateRow | null> {
    const { rows } = await this.db.query<TemplateColumns>(`SELECT * FROM template WHERE code = $1`, [code]);
    return rows[0] ? templateRowFrom(rows[0]) : null;
  }

  async templateExists(code: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM template WHERE code = $1`, [code]);
    return rows.length > 0;
  }

  /** Attribute definitions of every template, by template code. */
  async templateAttributes(): Promise<Map<string, TemplateAttributeDef[]>> {
    const { rows } = await this.db.query<{ code: string; attributes: TemplateAttributeDef[] }>(`SELECT code, attributes FROM template`);
    return new Map(rows.map((t) => [t.code, t.attributes]));
  }

  /** A taken code fails with a unique violation (isUniqueViolation). */
  async insertTemplate(code: string, name: string, attributes: TemplateAttributeDef[]): Promise<TemplateRow> {
    const { rows } = await this.db.query<TemplateColumns>(`INSERT INTO template (code, name, attributes) VALUES ($1, $2, $3) RETURNING *`, [code, name, JSON.stringify(attributes)]);
    return templateRowFrom(rows[0]);
  }

  /** Inserts the template unless one with its code exists (that one is left as it is). */
  async insertTemplateIfMissing(code: string, name: string, attributes: TemplateAttributeDef[]): Promise<void> {
    await this.db.query(`INSERT INTO template (code, name, attributes) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING`, [code, name, JSON.stringify(attributes)]);
  }

  async folders(): Promise<FolderRow[]> {
    const { rows } = await this.db.query<FolderColumns>(`SELECT * FROM folder ORDER BY code`);
    return rows.map(folderRowFrom);
  }

  /** The template each folder holds, by folder code. */
  async folderTemplates(): Promise<Map<string, string>> {
    const { rows } = await this.db.query<{ code: string; template_code: string }>(`SELECT code, template_code FROM folder`);
    return new Map(rows.map((f) => [f.code, f.template_code]));
  }

  /** A taken code fails with a unique violation (isUniqueViolation). */
  async insertFolder(code: string, name: string, templateCode: string): Promise<FolderRow> {
    const { rows } = await this.db.query<FolderColumns>(`INSERT INTO folder (code, name, template_code) VALUES ($1, $2, $3) RETURNING *`, [code, name, templateCode]);
    return folderRowFrom(rows[0]);
  }

  /** Inserts the folder unless one with its code exists (that one is left as it is). */
  async insertFolderIfMissing(code: string, name: string, templateCode: string): Promise<void> {
    await this.db.query(`INSERT INTO folder (code, name, template_code) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING`, [code, name, templateCode]);
  }

  /** One page of datacards in id order; one row more than `limit` when another page follows. */
  async datacards(q: DatacardQuery): Promise<DatacardRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.template) add('d.template_code = ?', q.template);
    if (q.folder) add('d.folder_code = ?', q.folder);
    if (q.status) add('d.status = ?', q.status);
    if (q.taskId) add('d.task_id = ?', q.taskId);
    if (q.text) add(`(d.unique_value ILIKE ? OR d.attributes::text ILIKE $${params.length + 1})`, `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (q.afterId !== undefined) add('d.id > ?', q.afterId);
    params.push(q.limit + 1);
    const { rows } = await this.db.query<DatacardColumns>(`${DATACARD_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id LIMIT $${params.length}`, params);
    return rows.map(datacardRowFrom);
  }

  async datacard(id: string): Promise<DatacardRow | null> {
    const { rows } = await this.db.query<DatacardColumns>(`${DATACARD_SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? datacardRowFrom(rows[0]) : null;
  }

  /** Datacards per template and status (metrics). */
  async datacardCounts(): Promise<Array<{ templateCode: string; status: string; count: number }>> {
    const { rows } = await this.db.query<{ template_code: string; status: string; n: string }>(
      `SELECT template_code, status, count(*)::text AS n FROM datacard GROUP BY template_code, status`,
    );
    return rows.map((r) => ({ templateCode: r.template_code, status: r.status, count: Number(r.n) }));
  }

  /** Datacards the task has seen (its sightings) that are not removed. */
  async countOwnedActive(taskId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM datacard_sighting s JOIN datacard d ON d.id = s.datacard_id WHERE s.task_id = $1 AND d.status <> 'removed'`,
      [taskId],
    );
    return Number(rows[0].n);
  }

  /** The run's decision (decisionSql) for each previewed record against the current target, and what it compared. */
  async previewDecisions(
    records: PreviewRecordKey[],
    target: { templateCode: string; taskId: string | null; kind: string; reactivates: boolean; cacheClearedAt: Date },
  ): Promise<PreviewDecision[]> {
    const { rows } = await this.db.query<{
      source_id: string;
      id: string | null;
      attributes: Record<string, unknown> | null;
      cache_hash: string | null;
      cache_fresh: boolean | null;
      sighted_source: string | null;
      decision: PreviewDecision['decision'];
    }>(
      `SELECT u.source_id, d.id, d.attributes, c.hash AS cache_hash, c.pushed_at >= $3::timestamptz AS cache_fresh, sg.source_id AS sighted_source,
              ${decisionSql('u.hash', '$4::boolean', '$3::timestamptz', 'u.source_id', '$6::text')} AS decision
         FROM jsonb_to_recordset($1::jsonb) AS u(source_id text, unique_value text, hash text)
         ${decisionJoins('$2', '$5::uuid')}
         -- the cache entry of this kind (the sighting holds what its kind last pushed)
         LEFT JOIN LATERAL (SELECT sg.hash, sg.pushed_at WHERE sg.kind = $6::text) c ON true`,
      [
        JSON.stringify(records.map((r) => ({ source_id: r.sourceId, unique_value: r.uniqueValue, hash: r.hash }))),
        target.templateCode,
        target.cacheClearedAt,
        target.reactivates,
        target.taskId,
        target.kind,
      ],
    );
    return rows.map((r) => ({
      sourceId: r.source_id,
      datacardId: r.id,
      attributes: r.attributes,
      cacheHash: r.cache_hash,
      cacheFresh: r.cache_fresh,
      sightedSource: r.sighted_source,
      decision: r.decision,
    }));
  }
}
