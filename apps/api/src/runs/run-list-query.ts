import type { RunListFilter, RunPageKey, RunStatus } from '@app/persistence';
import { decodeCursor } from '../common/cursor';
import { badRequest, type FieldError } from '../common/problem';
import { RUN_STATUSES } from './run.view';

export const RUN_TRIGGERS = ['schedule', 'manual', 'retry'] as const;
export const RUN_MODES = ['full', 'incremental'] as const;
export const RUN_LIST_DEFAULT_LIMIT = 50;
export const RUN_LIST_MAX_LIMIT = 200;

/** The query parameters GET /runs reads; any other is refused, as the datacards list refuses them (a misspelt filter must not list everything). */
const KNOWN = ['taskId', 'connectorId', 'status', 'trigger', 'mode', 'startedAfter', 'startedBefore', 'dryRun', 'limit', 'cursor'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A date, or a date and time with its offset: a time without one would be read in some server's zone. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export interface RunListQuery {
  filter: RunListFilter;
  limit: number;
  after?: RunPageKey;
}

/** The instant an ISO time names, as ISO text in UTC; undefined when it names none (a 30 February, an hour 25). */
function isoInstant(value: string): string | undefined {
  const m = ISO_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone && zone !== 'Z' && (Number(zone.slice(1, 3)) > 14 || Number(zone.slice(4, 6)) > 59)) return undefined;
  const ms = Date.parse(zone ? value : `${value}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * Reads the query of GET /runs: every bad parameter is listed at once in one 400, each naming its
 * field. `status` takes one status or several separated by commas (or the parameter repeated).
 */
export function parseRunListQuery(query: Record<string, string | string[] | undefined>): RunListQuery {
  const errors: FieldError[] = [];
  const filter: RunListFilter = {};
  const one = (field: string): string | undefined => {
    const v = query[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      errors.push({ field, message: `${field} may be given once` });
      return undefined;
    }
    return v;
  };
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T | undefined => {
    const v = one(field);
    if (v === undefined) return undefined;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    errors.push({ field, message: `${field} must be one of ${allowed.join(', ')}` });
    return undefined;
  };

  for (const field of Object.keys(query)) {
    if (!(KNOWN as readonly string[]).includes(field)) errors.push({ field, message: `${field} is not a filter of this list (${KNOWN.join(', ')})` });
  }
  for (const field of ['taskId', 'connectorId'] as const) {
    const v = one(field);
    if (v === undefined) continue;
    if (UUID.test(v)) filter[field] = v.toLowerCase();
    else errors.push({ field, message: `${field} must be a UUID` });
  }
  const status = query.status;
  if (status !== undefined) {
    const given: unknown[] = Array.isArray(status) ? status : [status];
    const values = given.flatMap((s) => (typeof s === 'string' ? s.split(',') : [''])).map((s) => s.trim());
    const unknown = values.filter((s) => !(RUN_STATUSES as readonly string[]).includes(s));
    if (unknown.length) errors.push({ field: 'status', message: `status must be one or more of ${RUN_STATUSES.join(', ')}, separated by commas` });
    else filter.statuses = [...new Set(values)] as RunStatus[];
  }
  const trigger = oneOf('trigger', RUN_TRIGGERS);
  if (trigger) filter.trigger = trigger;
  const mode = oneOf('mode', RUN_MODES);
  if (mode) filter.mode = mode;
  const dryRun = oneOf('dryRun', ['true', 'false'] as const);
  if (dryRun) filter.dryRun = dryRun === 'true';
  for (const field of ['startedAfter', 'startedBefore'] as const) {
    const v = one(field);
    if (v === undefined) continue;
    const instant = isoInstant(v);
    if (instant) filter[field] = instant;
    else errors.push({ field, message: `${field} must be an ISO 8601 date (2025-01-31) or date and time with an offset (2025-01-31T08:00:00Z)` });
  }
  if (filter.startedAfter && filter.startedBefore && filter.startedAfter >= filter.startedBefore) {
    errors.push({ field: 'startedBefore', message: 'startedBefore must be later than startedAfter' });
  }
  let limit = RUN_LIST_DEFAULT_LIMIT;
  const limitText = one('limit');
  if (limitText !== undefined) {
    limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > RUN_LIST_MAX_LIMIT) errors.push({ field: 'limit', message: `limit must be an integer 1-${RUN_LIST_MAX_LIMIT}` });
  }
  let after: RunPageKey | undefined;
  const cursor = one('cursor');
  if (cursor !== undefined) {
    try {
      after = decodeCursor(cursor, isPageKey);
    } catch {
      errors.push({ field: 'cursor', message: 'cursor is not one this API returned' });
    }
  }
  if (errors.length) throw badRequest(`invalid query: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
  return { filter, limit, ...(after ? { after } : {}) };
}

/** A page key this API encoded: an exact ISO time and a run id. */
export function isPageKey(v: unknown): v is RunPageKey {
  if (typeof v !== 'object' || v === null) return false;
  const { startedAt, id } = v as { startedAt?: unknown; id?: unknown };
  return typeof startedAt === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(startedAt) && typeof id === 'string' && UUID.test(id);
}
