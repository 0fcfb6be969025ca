import { Injectable } from '@nestjs/common';
import { isUniqueViolation, TargetStoreRepository, type DatacardRow, type FolderRow, type TemplateRow } from '@app/persistence';
import { conflict, notFound, unprocessable, badRequest } from '../common/problem';
import { decodeCursor, encodeCursor } from '../common/cursor';
import type { CreateFolderDto, CreateTemplateDto, DatacardQueryDto } from './target-store.dto';

/** Templates, folders and read access to datacards. */
@Injectable()
export class TargetStoreService {
  constructor(private readonly store: TargetStoreRepository) {}

  private templateView(r: TemplateRow) {
    return { code: r.code, name: r.name, attributes: r.attributes, createdAt: r.createdAt.toISOString() };
  }

  async createTemplate(dto: CreateTemplateDto) {
    const codes = dto.attributes.map((a) => a.code.toLowerCase());
    const dup = codes.find((c, i) => codes.indexOf(c) !== i);
    if (dup) throw badRequest('request validation failed', [{ field: 'attributes', message: `attribute code "${dup}" appears twice` }]);
    const attributes = dto.attributes.map((a) => ({ code: a.code, name: a.name, type: a.type, multiple: a.multiple ?? false }));
    try {
      return this.templateView(await this.store.insertTemplate(dto.code, dto.name, attributes));
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a template with code "${dto.code}" already exists`, [{ field: 'code', message: 'already exists' }]);
      throw err;
    }
  }

  async listTemplates() {
    const rows = await this.store.templates();
    return { items: rows.map((r) => this.templateView(r)), total: rows.length };
  }

  async getTemplate(code: string) {
    const row = await this.store.template(code);
    if (!row) throw notFound(`template "${code}" not found`);
    return this.templateView(row);
  }

  async createFolder(dto: CreateFolderDto) {
    if (!(await this.store.templateExists(dto.templateCode))) {
      throw unprocessable(`template "${dto.templateCode}" does not exist`, [{ field: 'templateCode', message: `unknown template "${dto.templateCode}"` }]);
    }
    try {
      return this.folderView(await this.store.insertFolder(dto.code, dto.name, dto.templateCode));
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`a folder with code "${dto.code}" already exists`, [{ field: 'code', message: 'already exists' }]);
      throw err;
    }
  }

  private folderView(r: FolderRow) {
    return { code: r.code, name: r.name, templateCode: r.templateCode, createdAt: r.createdAt.toISOString() };
  }

  async listFolders() {
    const rows = await this.store.folders();
    return { items: rows.map((r) => this.folderView(r)), total: rows.length };
  }

  private datacardView(r: DatacardRow) {
    return {
      id: r.id,
      templateCode: r.templateCode,
      folderCode: r.folderCode,
      uniqueValue: r.uniqueValue,
      // memberships live in datacard_link; they are shown as arrays of datacard ids
      attributes: { ...r.attributes, ...r.links },
      taskId: r.taskId,
      status: r.status,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }

  async listDatacards(q: DatacardQueryDto) {
    const limit = q.limit ?? 100;
    const after = decodeCursor(q.cursor, (v): v is { id: string } => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string');
    const rows = await this.store.datacards({ template: q.template, folder: q.folder, status: q.status, taskId: q.taskId, text: q.q, afterId: after?.id, limit });
    const page = rows.slice(0, limit);
    return { items: page.map((r) => this.datacardView(r)), nextCursor: rows.length > limit ? encodeCursor({ id: page[page.length - 1].id }) : null };
  }

  async getDatacard(id: string) {
    const row = await this.store.datacard(id);
    if (!row) throw notFound(`datacard ${id} not found`);
    return this.datacardView(row);
  }
}
