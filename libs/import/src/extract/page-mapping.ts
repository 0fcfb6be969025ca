import type { StagedRecordInput, TargetStoreRepository } from '@app/persistence';
import type { ResourceKind } from '@app/temporal';
import { ImportConfigError } from '../errors/import-errors';
import { compileMappers, type Mapper } from '../decide/map-records';
import type { RunConfigSnapshot } from '../run-config/task-config';

/**
 * The mapping of the resource, compiled once per extract activity, to map records as they are
 * read: the map step then only sees what could not be mapped here. A mapping that does not
 * compile is not an extract error: the map step reports it, as it does for a record that fails
 * to map.
 */
export async function pageMapper(templates: TargetStoreRepository | undefined, snapshot: Pick<RunConfigSnapshot, 'config'>, resource: ResourceKind): Promise<Mapper | undefined> {
  if (!templates) return undefined;
  try {
    return (await compileMappers(templates, snapshot, [resource])).get(resource);
  } catch (err) {
    if (err instanceof ImportConfigError) return undefined;
    throw err;
  }
}

/**
 * Maps each record of a page before it is staged (only its mapping is then kept); one that fails
 * keeps its raw JSON and fails in the map step, with its reason.
 */
export function mapPage(mapper: Mapper, records: StagedRecordInput[]): void {
  for (const r of records) {
    const out = mapper(r.raw, r.members);
    if (out.ok) r.mapped = { uniqueValue: out.uniqueValue, attributes: out.attributes, hash: out.hash };
  }
}
