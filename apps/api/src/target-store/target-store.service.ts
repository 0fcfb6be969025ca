import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import type { TemplateAttribute } from '@app/persistence';
import { conflict, notFound, unprocessable, badRequest } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import type { CreateFolderDto, CreateTemplateDto, DatacardQueryDto } from './target-store.dto';

interface DatacardRow {
  id: string;
  template_code: string;
  folder_code: string;
  unique_value: string;
  attributes: Record<string, unknown>;
  task_id: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
  links: Record<string, string[]> | null;
}

const DATACARD_SELECT = `
  SELECT d.*, (SELECT jsonb_object_agg(attribute_code, ids) FROM (
      SELECT attribute_code, jsonb_agg(target_id ORDER BY target_id) AS ids FROM datacard_link l WHERE l.datacard_id = d.id GROUP BY attribute_code
    ) g) AS links
  FROM datacard d`;

/** Templates, folders and read access to datacards. */
@Injectable()
export class TargetStoreService {
  constructor(private readonly ds: DataSource) {}

  private templateView(r: { code: string; name: string; attributes: TemplateAttribute[]; created_at: Date }) {
    return { code: r.code, name: r.name, attributes: r.attributes, createdAt: r.created_at.toISOString() };
  }

  async createTemplate(dto: CreateTemplateDto) {
    const codes = dto.attributes.map((a) => a.code.toLowerCase());
    const dup = codes.find((c, i) => codes.indexOf(c) !== i);
    if (dup) throw badRequest('request validation failed', [{ field: 'attributes', message: `attribute code "${dup}" appears twice` }]);
    const attributes = dto.attributes.map((a) => ({ code: a.code, name: a.name, type: a.type, multiple: a.multiple ?? false }));
    try {
      const rows = await this.ds.query(`INSERT INTO template (code, name, attributes) VALUES ($1, $2, $3) RETURNING *`, [dto.code, dto.name, JSON.stringify(attributes)]);
      return this.templateView(rows[0]);
    } catch (err) {
      if (err instanceof QueryFailedError && (err as { code?: string } & QueryFailedError).code === '23505') {
        throw conflict(`a template with code "${dto.code}" already exists`, [{ field: 'code', message: 'already exists' }]);
      }
      throw err;
    }
  }

  async listTemplates() {
    const rows = await this.ds.query(`SELECT * FROM template ORDER BY code`);
    return { items: rows.map((r: never) => this.templateView(r)), total: rows.length };
  }

  async getTemplate(code: string) {
    const rows = await this.ds.query(`SELECT * FROM template WHERE code = $1`, [code]);
    if (!rows.length) throw notFound(`template "${code}" not found`);
    return this.templateView(rows[0]);
  }

  async createFolder(dto: CreateFolderDto) {
    const tpl = await this.ds.query(`SELECT 1 FROM template WHERE code = $1`, [dto.templateCode]);
    if (!tpl.length) throw unprocessable(`template "${dto.templateCode}" does not exist`, [{ field: 'templateCode', message: `unknown template "${dto.templateCode}"` }]);
    try {
      const rows = await this.ds.query(`INSERT INTO folder (code, name, template_code) VALUES ($1, $2, $3) RETURNING *`, [dto.code, dto.name, dto.templateCode]);
      return this.folderView(rows[0]);
    } catch (err) {
      if (err instanceof QueryFailedError && (err as { code?: string } & QueryFailedError).code === '23505') {
        throw conflict(`a folder with code "${dto.code}" already exists`, [{ field: 'code', message: 'already exists' }]);
      }
      throw err;
    }
  }

  private folderView(r: { code: string; name: string; template_code: string; created_at: Date }) {
    return { code: r.code, name: r.name, templateCode: r.template_code, createdAt: r.created_at.toISOString() };
  }

  async listFolders() {
    const rows = await this.ds.query(`SELECT * FROM folder ORDER BY code`);
    return { items: rows.map((r: never) => this.folderView(r)), total: rows.length };
  }

  private datacardView(r: DatacardRow) {
    return {
      id: r.id,
      templateCode: r.template_code,
      folderCode: r.folder_code,
      uniqueValue: r.unique_value,
      // memberships live in datacard_link; they are shown as arrays of datacard ids
      attributes: { ...r.attributes, ...(r.links ?? {}) },
      taskId: r.task_id,
      status: r.status,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    };
  }

  async listDatacards(q: DatacardQueryDto) {
    const limit = q.limit ?? 100;
    const after = decodeCursor(q.cursor, (v): v is { id: string } => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string');
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
    if (q.q) add(`(d.unique_value ILIKE ? OR d.attributes::text ILIKE $${params.length + 1})`, `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (after) add('d.id > ?', after.id);
    params.push(limit + 1);
    const rows: DatacardRow[] = await this.ds.query(
      `${DATACARD_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    return { items: page.map((r) => this.datacardView(r)), nextCursor: rows.length > limit ? encodeCursor({ id: page[page.length - 1].id }) : null };
  }

  async getDatacard(id: string) {
    const rows: DatacardRow[] = await this.ds.query(`${DATACARD_SELECT} WHERE d.id = $1`, [id]);
    if (!rows.length) throw notFound(`datacard ${id} not found`);
    return this.datacardView(rows[0]);
  }
}
