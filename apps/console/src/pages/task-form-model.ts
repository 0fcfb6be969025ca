import type { CreateTaskBody, Mapping, Task, Template } from '../api/client';

export type Section = 'identity' | 'access' | 'generic';
export type MappingsType = Task['mappingsType'];

export interface AttributeRow {
  source: 'external' | 'constant';
  external: string;
  constant: string;
  local: string;
  /** `trim | lower | join:, | default:n/a` */
  transforms: string;
}

export interface MappingForm {
  templateCode: string;
  folderCode: string;
  uniqueExternal: string;
  uniqueLocal: string;
  attributes: AttributeRow[];
  removalEnabled: boolean;
  statusAttribute: string;
  removedValue: string;
  reactivateValue: string;
  membersLocal: string;
  resourcePath: string;
  filter: string;
}

export interface TaskForm {
  name: string;
  connectorId: string;
  type: Task['type'];
  mappingsType: MappingsType;
  scheduleKind: 'cron' | 'every' | 'manual';
  cron: string;
  timezone: string;
  everyMinutes: number | '';
  enabled: boolean;
  usersFilter: string;
  groupsFilter: string;
  failureTemplate: string;
  failureFolder: string;
  failureAttribute: string;
  identity: MappingForm;
  access: MappingForm;
  generic: MappingForm;
  clearHours: string;
  maxRemovalPercent: number | '';
  maxRemovals: number | '';
}

export const SECTIONS_OF: Record<MappingsType, Section[]> = {
  identityAndAccess: ['identity', 'access'],
  identityOnly: ['identity'],
  accessOnly: ['access'],
  generic: ['generic'],
};

export const SECTION_TITLES: Record<Section, string> = {
  identity: 'Identity mapping (users)',
  access: 'Access mapping (groups)',
  generic: 'Generic mapping',
};

export function emptyMapping(): MappingForm {
  return {
    templateCode: '',
    folderCode: '',
    uniqueExternal: 'id',
    uniqueLocal: '',
    attributes: [],
    removalEnabled: false,
    statusAttribute: '',
    removedValue: '',
    reactivateValue: '',
    membersLocal: '',
    resourcePath: '',
    filter: '',
  };
}

export function emptyTask(): TaskForm {
  return {
    name: '',
    connectorId: '',
    type: 'full',
    mappingsType: 'identityAndAccess',
    scheduleKind: 'manual',
    cron: '0 */4 * * *',
    timezone: 'UTC',
    everyMinutes: 30,
    enabled: true,
    usersFilter: '',
    groupsFilter: '',
    failureTemplate: 'failure',
    failureFolder: 'failures',
    failureAttribute: 'message',
    identity: emptyMapping(),
    access: emptyMapping(),
    generic: emptyMapping(),
    clearHours: '0',
    maxRemovalPercent: 20,
    maxRemovals: '',
  };
}

/** SCIM expressions the usual target attribute codes come from (the demo templates use these codes). */
const SUGGESTED_EXTERNAL: Record<string, string> = {
  login: 'userName',
  username: 'userName',
  email: 'emails[type eq "work"].value',
  firstname: 'name.givenName',
  lastname: 'name.familyName',
  displayname: 'displayName',
  department: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
  title: 'title',
  name: 'displayName',
  active: 'active',
};

/** Rows for every template attribute with a well-known SCIM source, plus unique id and removal defaults. */
export function suggestMapping(section: Section, template: Template, current: MappingForm): MappingForm {
  const codes = template.attributes.map((a) => a.code);
  const has = (c: string) => codes.includes(c);
  const unique = has('scimId') ? 'scimId' : current.uniqueLocal;
  const status = ['accountStatus', 'status'].find(has) ?? '';
  const rows: AttributeRow[] = template.attributes
    .filter((a) => a.type !== 'reference' && a.code !== unique && a.code !== status && SUGGESTED_EXTERNAL[a.code.toLowerCase()])
    .filter((a) => section !== 'access' || a.code.toLowerCase() === 'name' || a.code.toLowerCase() === 'displayname')
    .map((a) => ({ source: 'external', external: SUGGESTED_EXTERNAL[a.code.toLowerCase()], constant: '', local: a.code, transforms: '' }));
  const reference = template.attributes.find((a) => a.type === 'reference');
  return {
    ...current,
    uniqueExternal: current.uniqueExternal || 'id',
    uniqueLocal: unique,
    attributes: rows,
    membersLocal: section === 'access' && reference ? reference.code : current.membersLocal,
    ...(status
      ? { removalEnabled: true, statusAttribute: status, removedValue: status === 'accountStatus' ? 'Deleted' : '5 - Removed' }
      : {}),
  };
}

type Transform = NonNullable<Mapping['attributes'][number]['transforms']>[number];

/** Parses `trim | lower | join:, | default:n/a`; throws with a readable message. */
export function parseTransforms(text: string): Transform[] {
  if (!text.trim()) return [];
  return text.split('|').map((part) => {
    const [rawOp, ...rest] = part.split(':');
    const op = rawOp.trim();
    const arg = rest.join(':');
    if (op === 'lower' || op === 'upper' || op === 'trim') return { op };
    if (op === 'join') return { op, separator: arg === '' ? ', ' : arg };
    if (op === 'default') return { op, value: arg.trim() };
    throw new Error(`unknown transform "${op}" (use lower, upper, trim, join:SEP, default:VALUE)`);
  });
}

export function formatTransforms(ts: Transform[] | undefined): string {
  return (ts ?? [])
    .map((t) => (t.op === 'join' ? `join:${t.separator ?? ', '}` : t.op === 'default' ? `default:${String(t.value ?? '')}` : t.op))
    .join(' | ');
}

function mappingFormOf(m: Mapping | null | undefined): MappingForm {
  if (!m) return emptyMapping();
  return {
    templateCode: m.templateCode,
    folderCode: m.folderCode,
    uniqueExternal: m.unique.external,
    uniqueLocal: m.unique.local,
    attributes: m.attributes.map((a) => ({
      source: a.external !== undefined ? 'external' : 'constant',
      external: a.external ?? '',
      constant: a.constant !== undefined ? String(a.constant) : '',
      local: a.local,
      transforms: formatTransforms(a.transforms),
    })),
    removalEnabled: !!m.removal?.enabled,
    statusAttribute: m.removal?.statusAttribute ?? '',
    removedValue: m.removal?.removedValue ?? '',
    reactivateValue: m.removal?.reactivateValue ?? '',
    membersLocal: m.members?.local ?? '',
    resourcePath: m.resourcePath ?? '',
    filter: m.filter ?? '',
  };
}

export function formOf(t: Task): TaskForm {
  const s = t.schedule;
  return {
    ...emptyTask(),
    name: t.name,
    connectorId: t.connectorId,
    type: t.type,
    mappingsType: t.mappingsType,
    scheduleKind: !s ? 'manual' : s.cron ? 'cron' : 'every',
    cron: s?.cron ?? '0 */4 * * *',
    timezone: s?.timezone ?? 'UTC',
    everyMinutes: s?.everyMinutes ?? 30,
    enabled: t.enabled,
    usersFilter: t.filters?.users ?? '',
    groupsFilter: t.filters?.groups ?? '',
    failureTemplate: t.failure.templateCode,
    failureFolder: t.failure.folderCode,
    failureAttribute: t.failure.attributeCode,
    identity: mappingFormOf(t.identity),
    access: mappingFormOf(t.access),
    generic: mappingFormOf(t.generic),
    clearHours: (t.cache.clearHoursUtc ?? [0]).join(', '),
    maxRemovalPercent: t.safety.maxRemovalPercent ?? 20,
    maxRemovals: t.safety.maxRemovals ?? '',
  };
}

/** What must be filled in before Save: the form lists these and keeps Save disabled. */
export function missingFields(f: TaskForm): string[] {
  const missing: string[] = [];
  if (!f.name.trim()) missing.push('Name');
  if (!f.connectorId) missing.push('Connector');
  if (f.scheduleKind === 'cron' && !f.cron.trim()) missing.push('Cron expression');
  if (f.scheduleKind === 'every' && (f.everyMinutes === '' || f.everyMinutes < 1)) missing.push('Every N minutes');
  if (!f.failureTemplate) missing.push('Failure template');
  if (!f.failureFolder) missing.push('Failure folder');
  if (!f.failureAttribute) missing.push('Failure attribute');
  for (const section of SECTIONS_OF[f.mappingsType]) {
    const m = f[section];
    const label = section.charAt(0).toUpperCase() + section.slice(1);
    if (section === 'generic' && !m.resourcePath.trim()) missing.push(`${label}: resource path`);
    if (!m.templateCode) missing.push(`${label}: template`);
    if (!m.folderCode) missing.push(`${label}: folder`);
    if (!m.uniqueExternal.trim()) missing.push(`${label}: unique external attribute`);
    if (!m.uniqueLocal) missing.push(`${label}: unique local attribute`);
    m.attributes.forEach((a, i) => {
      if (!a.local) missing.push(`${label}: attribute row ${i + 1} local attribute`);
      if (a.source === 'external' && !a.external.trim()) missing.push(`${label}: attribute row ${i + 1} external expression`);
    });
    if (m.removalEnabled && !m.statusAttribute) missing.push(`${label}: removal status attribute`);
    if (m.removalEnabled && !m.removedValue.trim()) missing.push(`${label}: removed value`);
  }
  return missing;
}

function mappingBody(section: Section, m: MappingForm): Mapping {
  return {
    templateCode: m.templateCode,
    folderCode: m.folderCode,
    unique: { external: m.uniqueExternal.trim(), local: m.uniqueLocal },
    attributes: m.attributes.map((a) => {
      const transforms = parseTransforms(a.transforms);
      return {
        ...(a.source === 'external' ? { external: a.external.trim() } : { constant: a.constant }),
        local: a.local,
        ...(transforms.length ? { transforms } : {}),
      };
    }),
    removal: m.removalEnabled
      ? {
          enabled: true,
          statusAttribute: m.statusAttribute,
          removedValue: m.removedValue,
          ...(m.reactivateValue.trim() ? { reactivateValue: m.reactivateValue.trim() } : {}),
        }
      : null,
    ...(section === 'access' ? { members: m.membersLocal ? { local: m.membersLocal } : null } : {}),
    ...(section === 'generic' ? { resourcePath: m.resourcePath.trim(), filter: m.filter.trim() || null } : {}),
  };
}

/** The request body; throws when a transform cannot be parsed. */
export function bodyOf(f: TaskForm): CreateTaskBody {
  const sections = SECTIONS_OF[f.mappingsType];
  const hours = f.clearHours
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((h) => Number(h));
  return {
    name: f.name.trim(),
    connectorId: f.connectorId,
    usage: 'read',
    type: f.type,
    mappingsType: f.mappingsType,
    schedule:
      f.scheduleKind === 'manual'
        ? null
        : f.scheduleKind === 'cron'
          ? { cron: f.cron.trim(), timezone: f.timezone.trim() || 'UTC' }
          : { everyMinutes: Number(f.everyMinutes) },
    enabled: f.enabled,
    filters:
      f.usersFilter.trim() || f.groupsFilter.trim() ? { users: f.usersFilter.trim() || null, groups: f.groupsFilter.trim() || null } : null,
    failure: { templateCode: f.failureTemplate, folderCode: f.failureFolder, attributeCode: f.failureAttribute },
    identity: sections.includes('identity') ? mappingBody('identity', f.identity) : null,
    access: sections.includes('access') ? mappingBody('access', f.access) : null,
    generic: sections.includes('generic') ? mappingBody('generic', f.generic) : null,
    cache: { clearHoursUtc: hours },
    safety: {
      ...(f.maxRemovalPercent !== '' ? { maxRemovalPercent: f.maxRemovalPercent } : {}),
      ...(f.maxRemovals !== '' ? { maxRemovals: f.maxRemovals } : {}),
    },
  };
}
