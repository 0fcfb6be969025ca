import type { ResourceKind } from '@app/temporal';
import { ImportConfigError } from '../errors/import-errors';

/** One attribute mapping as the API stores it (see docs/api.md, Tasks). */
export interface AttributeMappingConfig {
  external?: string;
  constant?: unknown;
  local: string;
  transforms?: unknown[];
}

export interface RemovalConfig {
  enabled: boolean;
  statusAttribute: string;
  removedValue: string;
  reactivateValue?: string;
}

/** identity / access / generic section of a task. */
export interface MappingSectionConfig {
  templateCode: string;
  folderCode: string;
  unique: { external: string; local: string };
  attributes: AttributeMappingConfig[];
  removal?: RemovalConfig | null;
  /** access only: the local reference attribute that receives the group's members */
  members?: { local: string } | null;
  /** generic only */
  resourcePath?: string;
  filter?: string | null;
}

/** The `config` jsonb of import_task: everything of the API's Task except the columns. */
export interface TaskConfig {
  filters?: { users?: string | null; groups?: string | null } | null;
  failure?: { templateCode: string; folderCode: string; attributeCode: string } | null;
  identity?: MappingSectionConfig | null;
  access?: MappingSectionConfig | null;
  generic?: MappingSectionConfig | null;
  cache?: { clearHoursUtc?: number[] } | null;
  safety?: { maxRemovalPercent?: number; maxRemovals?: number } | null;
}

export type MappingsType = 'identityAndAccess' | 'identityOnly' | 'accessOnly' | 'generic';

/** Public connector settings copied into the run's snapshot (never the secret). */
export interface ConnectorSnapshot {
  id: string;
  baseUrl: string;
  authType: 'basic' | 'bearer' | 'oauth2';
  authPublic: { username?: string; clientId?: string; tokenUrl?: string; scope?: string };
  pageSize: number;
  timeoutMs: number;
  rateLimitPerSecond: number | null;
  tls: { caPem?: string; rejectUnauthorized?: boolean } | null;
  /** false: list whole records; absent (runs prepared before the setting existed) counts as true */
  attributeProjection?: boolean;
}

/** run.config_snapshot: what the run was started with, so a task edit mid-run changes nothing. */
export interface RunConfigSnapshot {
  taskId: string;
  taskName: string;
  configVersion: number;
  type: 'full' | 'incremental';
  mappingsType: MappingsType;
  config: TaskConfig;
  connector: ConnectorSnapshot;
  /** incremental reads ask for records changed after this instant (watermark minus overlap) */
  since: string | null;
}

/** Load order matters: group members resolve to accounts loaded (and sighted) before them. */
export const KIND_LOAD_ORDER: readonly ResourceKind[] = ['identity', 'generic', 'access'];

/** The mapping section that drives a resource kind. */
export function sectionFor(config: TaskConfig, kind: ResourceKind): MappingSectionConfig {
  const section = config[kind];
  if (!section) throw new ImportConfigError(`task has no "${kind}" mapping`);
  return section;
}

/** Resource kinds read by a mappings type, with their SCIM paths and task filters. */
export function resourcesFor(mappingsType: MappingsType, config: TaskConfig): Array<{ kind: ResourceKind; path: string; filter?: string }> {
  const users = { kind: 'identity' as const, path: '/Users', filter: config.filters?.users ?? undefined };
  const groups = { kind: 'access' as const, path: '/Groups', filter: config.filters?.groups ?? undefined };
  switch (mappingsType) {
    case 'identityAndAccess':
      sectionFor(config, 'identity');
      sectionFor(config, 'access');
      return [users, groups];
    case 'identityOnly':
      sectionFor(config, 'identity');
      return [users];
    case 'accessOnly':
      sectionFor(config, 'access');
      return [groups];
    case 'generic': {
      const generic = sectionFor(config, 'generic');
      if (!generic.resourcePath) throw new ImportConfigError('generic mapping needs a resourcePath');
      const path = generic.resourcePath.startsWith('/') ? generic.resourcePath : `/${generic.resourcePath}`;
      return [{ kind: 'generic', path, filter: generic.filter ?? undefined }];
    }
    default:
      throw new ImportConfigError(`unknown mappings type "${String(mappingsType)}"`);
  }
}

/** The removal settings of a mapping when removal is enabled for it. */
export function removalOf(section: MappingSectionConfig | null | undefined): RemovalConfig | undefined {
  return section?.removal?.enabled && section.removal.statusAttribute && section.removal.removedValue !== undefined ? section.removal : undefined;
}

/** Status attribute and value a removed record gets back when it reappears, if the mapping reactivates. */
export function reactivationOf(section: MappingSectionConfig | null | undefined): { statusAttribute: string; value: string } | undefined {
  const removal = section?.removal;
  if (!removal?.statusAttribute || removal.reactivateValue === undefined || removal.reactivateValue === null) return undefined;
  return { statusAttribute: removal.statusAttribute, value: removal.reactivateValue };
}

/** Default of safety.maxRemovalPercent (docs/api.md). */
export const DEFAULT_MAX_REMOVAL_PERCENT = 20;
