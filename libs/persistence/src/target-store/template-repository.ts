import type { Sql } from '../db';

export interface TemplateAttributeDef {
  code: string;
  name: string;
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'reference';
  multiple?: boolean;
}

/** Templates and folders of the target store, as the import checks and reads them. */
export class TemplateRepository {
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
}
