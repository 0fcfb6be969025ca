import { CronExpressionParser } from 'cron-parser';
import { validateScimFilter } from '@app/scim';
import { validateAttributePath } from '@app/mapping';
import type { TemplateAttributeDef } from '@app/persistence';
import type { FieldError } from '../common/problem';

/** A task as stored and shown: the API's Task without server fields. */
export interface TaskDefinition {
  name: string;
  connectorId: string;
  usage: string;
  type: 'full' | 'incremental';
  mappingsType: 'identityAndAccess' | 'identityOnly' | 'accessOnly' | 'generic';
  schedule: { cron?: string; timezone?: string; everyMinutes?: number } | null;
  enabled: boolean;
  filters: { users?: string | null; groups?: string | null } | null;
  failure: { templateCode: string; folderCode: string; attributeCode: string };
  identity: MappingDefinition | null;
  access: MappingDefinition | null;
  generic: MappingDefinition | null;
  cache: { clearHoursUtc: number[] };
  safety: { maxRemovalPercent: number; maxRemovals?: number };
}

export interface MappingDefinition {
  templateCode: string;
  folderCode: string;
  unique: { external: string; local: string };
  attributes: Array<{ external?: string; constant?: unknown; local: string; transforms?: Array<{ op: string; separator?: string; value?: unknown }> }>;
  removal?: { enabled: boolean; statusAttribute: string; removedValue: string; reactivateValue?: string } | null;
  members?: { local: string } | null;
  resourcePath?: string;
  filter?: string | null;
}

export interface TargetCatalog {
  connectorExists: boolean;
  templates: Map<string, TemplateAttributeDef[]>;
  /** folder code → template code */
  folders: Map<string, string>;
}

export interface ValidationOutcome {
  /** shape problems: 400 */
  invalid: FieldError[];
  /** semantic problems: 422 */
  unprocessable: FieldError[];
}

const REQUIRED_SECTIONS: Record<TaskDefinition['mappingsType'], Array<'identity' | 'access' | 'generic'>> = {
  identityAndAccess: ['identity', 'access'],
  identityOnly: ['identity'],
  accessOnly: ['access'],
  generic: ['generic'],
};

/** Checks a cron expression the way Temporal reads it: five fields, parseable. */
export function cronProblem(cron: string, timezone?: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return `cron must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  try {
    CronExpressionParser.parse(cron, timezone ? { tz: timezone } : undefined);
    return undefined;
  } catch (err) {
    return `cron is not valid: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** True when the IANA timezone name is known to this runtime. */
export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Every semantic rule of a task, reported per field; nothing stops at the first problem. */
export function validateTaskDefinition(task: TaskDefinition, catalog: TargetCatalog): ValidationOutcome {
  const invalid: FieldError[] = [];
  const unprocessable: FieldError[] = [];

  if (task.usage !== 'read') unprocessable.push({ field: 'usage', message: `usage "${task.usage}" is not supported for SCIM connectors; only "read" is` });
  if (!catalog.connectorExists) unprocessable.push({ field: 'connectorId', message: `connector ${task.connectorId} does not exist` });

  if (task.schedule) {
    const s = task.schedule;
    if (s.cron !== undefined && s.everyMinutes !== undefined) invalid.push({ field: 'schedule', message: 'give either schedule.cron or schedule.everyMinutes, not both' });
    else if (s.cron === undefined && s.everyMinutes === undefined) invalid.push({ field: 'schedule', message: 'schedule needs cron or everyMinutes (or send null for manual runs only)' });
    if (s.timezone !== undefined && s.cron === undefined) invalid.push({ field: 'schedule.timezone', message: 'timezone applies to cron schedules only' });
    const tzOk = s.timezone === undefined || isValidTimezone(s.timezone);
    if (!tzOk) invalid.push({ field: 'schedule.timezone', message: `unknown timezone "${s.timezone}" (use an IANA name such as Europe/Helsinki)` });
    if (s.cron !== undefined) {
      const problem = cronProblem(s.cron, tzOk ? s.timezone : undefined);
      if (problem) invalid.push({ field: 'schedule.cron', message: problem });
    }
  }

  for (const section of REQUIRED_SECTIONS[task.mappingsType]) {
    if (!task[section]) invalid.push({ field: section, message: `${section} mapping is required for mappingsType ${task.mappingsType}` });
  }
  for (const section of ['identity', 'access', 'generic'] as const) {
    if (task[section] && !REQUIRED_SECTIONS[task.mappingsType].includes(section)) {
      invalid.push({ field: section, message: `${section} mapping is not used by mappingsType ${task.mappingsType}; send null` });
    }
  }

  const filterChecks: Array<[string, string | null | undefined]> = [
    ['filters.users', task.filters?.users],
    ['filters.groups', task.filters?.groups],
    ['generic.filter', task.generic?.filter],
  ];
  for (const [field, filter] of filterChecks) {
    if (filter === undefined || filter === null || filter.trim() === '') continue;
    const result = validateScimFilter(filter);
    if (!result.ok) unprocessable.push({ field, message: `invalid SCIM filter: ${result.message}` });
  }

  for (const section of ['identity', 'access', 'generic'] as const) {
    const m = task[section];
    if (!m || !REQUIRED_SECTIONS[task.mappingsType].includes(section)) continue;
    validateMapping(section, m, catalog, invalid, unprocessable);
  }
  if (task.mappingsType === 'generic' && task.generic && !task.generic.resourcePath) {
    invalid.push({ field: 'generic.resourcePath', message: 'generic.resourcePath is required (e.g. /Devices)' });
  }

  const f = task.failure;
  const failureAttrs = catalog.templates.get(f.templateCode);
  if (!failureAttrs) unprocessable.push({ field: 'failure.templateCode', message: `unknown template "${f.templateCode}"` });
  else if (!failureAttrs.some((a) => a.code === f.attributeCode)) {
    unprocessable.push({ field: 'failure.attributeCode', message: `template "${f.templateCode}" has no attribute "${f.attributeCode}"` });
  }
  const failureFolder = catalog.folders.get(f.folderCode);
  if (failureFolder === undefined) unprocessable.push({ field: 'failure.folderCode', message: `unknown folder "${f.folderCode}"` });
  else if (failureAttrs && failureFolder !== f.templateCode) {
    unprocessable.push({ field: 'failure.folderCode', message: `folder "${f.folderCode}" belongs to template "${failureFolder}", not "${f.templateCode}"` });
  }
  return { invalid, unprocessable };
}

function validateMapping(section: string, m: MappingDefinition, catalog: TargetCatalog, invalid: FieldError[], unprocessable: FieldError[]): void {
  const attrs = catalog.templates.get(m.templateCode);
  if (!attrs) unprocessable.push({ field: `${section}.templateCode`, message: `unknown template "${m.templateCode}"` });
  const folderTemplate = catalog.folders.get(m.folderCode);
  if (folderTemplate === undefined) unprocessable.push({ field: `${section}.folderCode`, message: `unknown folder "${m.folderCode}"` });
  else if (attrs && folderTemplate !== m.templateCode) {
    unprocessable.push({ field: `${section}.folderCode`, message: `folder "${m.folderCode}" belongs to template "${folderTemplate}", not "${m.templateCode}"` });
  }
  const codes = new Map((attrs ?? []).map((a) => [a.code, a]));
  const checkLocal = (field: string, local: string) => {
    if (attrs && !codes.has(local)) unprocessable.push({ field, message: `template "${m.templateCode}" has no attribute "${local}"` });
  };
  const checkPath = (field: string, expr: string) => {
    const r = validateAttributePath(expr);
    if (!r.ok) unprocessable.push({ field, message: `invalid attribute expression: ${r.message}` });
  };

  checkPath(`${section}.unique.external`, m.unique.external);
  checkLocal(`${section}.unique.local`, m.unique.local);
  const seen = new Set<string>([m.unique.local]);
  m.attributes.forEach((a, i) => {
    const field = `${section}.attributes[${i}]`;
    if ((a.external === undefined) === (a.constant === undefined)) {
      invalid.push({ field, message: 'give exactly one of external or constant' });
    } else if (a.external !== undefined) checkPath(`${field}.external`, a.external);
    checkLocal(`${field}.local`, a.local);
    if (seen.has(a.local)) invalid.push({ field: `${field}.local`, message: `local attribute "${a.local}" is mapped more than once` });
    seen.add(a.local);
    const ref = codes.get(a.local);
    if (ref?.type === 'reference') unprocessable.push({ field: `${field}.local`, message: `"${a.local}" is a reference attribute; memberships go through access.members` });
    (a.transforms ?? []).forEach((t, j) => {
      if (t.op === 'default' && t.value === undefined) invalid.push({ field: `${field}.transforms[${j}].value`, message: 'default needs a value' });
    });
  });
  if (m.removal?.enabled) {
    checkLocal(`${section}.removal.statusAttribute`, m.removal.statusAttribute);
  }
  if (m.members) {
    if (section !== 'access') invalid.push({ field: `${section}.members`, message: 'members applies to the access mapping only' });
    else {
      checkLocal(`${section}.members.local`, m.members.local);
      const ref = codes.get(m.members.local);
      if (ref && ref.type !== 'reference') unprocessable.push({ field: `${section}.members.local`, message: `"${m.members.local}" must be a reference attribute` });
    }
  }
  if (m.resourcePath && section !== 'generic') invalid.push({ field: `${section}.resourcePath`, message: 'resourcePath applies to the generic mapping only' });
}
