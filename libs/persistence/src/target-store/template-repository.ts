import type { Db } from '../db';
import { ImportConfigError } from '../../../import/src/errors/import-errors';

export interface TemplateAttributeDef {
  code: string;
  name: string;
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'reference';
  multiple?: boolean;
}

/** Templates and folders of the target store, as the import checks and reads them. */
export class TemplateRepository {
  constructor(private readonly db: Db) {}

  /** Attribute definitions of a template; ImportConfigError when it does not exist. */
  async attributes(templateCode: string): Promise<TemplateAttributeDef[]> {
    const { rows } = await this.db.query<{ attributes: TemplateAttributeDef[] }>(`SELECT attributes FROM template WHERE code = $1`, [templateCode]);
    if (!rows[0]) throw new ImportConfigError(`template "${templateCode}" does not exist`);
    return rows[0].attributes;
  }

  /** Throws ImportConfigError unless the folder exists and holds datacards of the template. */
  async assertFolder(folderCode: string, templateCode: string): Promise<void> {
    const { rows } = await this.db.query<{ template_code: string }>(`SELECT template_code FROM folder WHERE code = $1`, [folderCode]);
    if (!rows[0]) throw new ImportConfigError(`folder "${folderCode}" does not exist`);
    if (rows[0].template_code !== templateCode) {
      throw new ImportConfigError(`folder "${folderCode}" holds template ${rows[0].template_code}, not ${templateCode}`);
    }
  }
}
