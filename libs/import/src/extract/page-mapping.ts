import type { TargetStoreRepository } from '@app/persistence';
import type { ResourceKind } from '@app/temporal';
import { ImportConfigError } from '../errors/import-errors';
import { mapperConfigs, mapperFor, type Mapper, type MapperConfig } from '../decide/map-records';
import type { RunConfigSnapshot } from '../run-config/task-config';

/** A resource's mapping as extract uses it: compiled here, and the plain config a page thread compiles it from. */
export interface PageMapping {
  mapper: Mapper;
  config: MapperConfig;
}

/**
 * The mapping of the resource, compiled once per extract activity, to map records as they are
 * read: the map step then only sees what could not be mapped here. A mapping that does not
 * compile is not an extract error: the map step reports it, as it does for a record that fails
 * to map. A record that fails to map keeps its raw JSON and fails in the map step, with its reason.
 */
export async function pageMapping(templates: TargetStoreRepository | undefined, snapshot: Pick<RunConfigSnapshot, 'config'>, resource: ResourceKind): Promise<PageMapping | undefined> {
  if (!templates) return undefined;
  try {
    const [config] = await mapperConfigs(templates, snapshot, [resource]);
    return { config, mapper: mapperFor(config) };
  } catch (err) {
    if (err instanceof ImportConfigError) return undefined;
    throw err;
  }
}
