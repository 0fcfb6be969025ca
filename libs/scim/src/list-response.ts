import type { ScimErrorContext } from './errors';
import { ScimProtocolError, excerptOf } from './errors';
import type { RejectedRecord, ScimMember, ScimResource } from './scim-resource';
import { contentTypeLabel, describeBody, describeJson, isScimErrorObject, knownScimType } from './untrusted-answer';

const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:listresponse';
const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:error';

/** A ListResponse reduced to what paging needs; numbers are already coerced. */
export interface ParsedListResponse {
  /** Raw entries, not yet normalised (see `normalizeResource`). */
  resources: unknown[];
  totalResults?: number;
  startIndex?: number;
  itemsPerPage?: number;
  nextCursor?: string;
  previousCursor?: string;
  /** Size of the body it was parsed from (set by the client, not by the parser). */
  bytes?: number;
}

/** Parses a response body as JSON; anything else becomes a ScimProtocolError describing (not quoting) the body. */
export function parseJsonBody(text: string, contentType: string | undefined, ctx: ScimErrorContext): unknown {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new ScimProtocolError('expected a SCIM JSON body but the response body is empty', ctx);
  }
  try {
    // Content-Type is not checked up front: servers label SCIM JSON as text/plain or octet-stream.
    return JSON.parse(trimmed) as unknown;
  } catch {
    throw new ScimProtocolError(`expected a SCIM JSON body but got something else (${contentTypeLabel(contentType)})`, {
      ...ctx,
      body: describeBody(text),
    });
  }
}

/** Returns the object's own keys indexed by lower case, because SCIM attribute names are case-insensitive. */
export function lowerCaseKeys(obj: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(obj)) {
    const lower = key.toLowerCase();
    // An exact, RFC-cased key wins over a differently cased duplicate.
    if (!out.has(lower) || key === lower) out.set(lower, value);
  }
  return out;
}

/** Coerces a count that some servers send as a string ("42") into a non-negative integer. */
export function toCount(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value >= 0 ? Math.floor(value) : undefined;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

/** Coerces a boolean that some servers send as "true"/"false". */
export function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemasOf(keys: Map<string, unknown>): string[] {
  const schemas = keys.get('schemas');
  return Array.isArray(schemas) ? schemas.filter((s): s is string => typeof s === 'string').map((s) => s.toLowerCase()) : [];
}

function cursorOf(value: unknown): string | undefined {
  // An empty cursor would mean "start over" if sent back, so it can only mean "no more pages".
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Reads a ListResponse tolerantly: any key casing, counts as strings, `Resources` absent when empty. */
export function parseListResponse(body: unknown, ctx: ScimErrorContext): ParsedListResponse {
  if (!isPlainObject(body)) {
    throw new ScimProtocolError('expected a SCIM ListResponse object', { ...ctx, body: describeJson(body) });
  }
  const keys = lowerCaseKeys(body);
  const schemas = schemasOf(keys);
  if (schemas.includes(ERROR_SCHEMA)) {
    // a success status with an error body breaks the protocol: only a standard scimType is repeated
    const scimType = isScimErrorObject(body) ? knownScimType(keys.get('scimtype')) : undefined;
    throw new ScimProtocolError('server answered a success status with a SCIM Error body', { ...ctx, scimType });
  }
  const looksLikeList =
    schemas.includes(LIST_RESPONSE_SCHEMA) || keys.has('totalresults') || keys.has('resources') || keys.has('nextcursor');
  if (!looksLikeList) {
    throw new ScimProtocolError('response is JSON but not a SCIM ListResponse (no totalResults or Resources)', {
      ...ctx,
      body: describeJson(body),
    });
  }
  const rawResources = keys.get('resources');
  let resources: unknown[];
  if (rawResources === undefined || rawResources === null) resources = [];
  else if (Array.isArray(rawResources)) resources = rawResources;
  else if (isPlainObject(rawResources)) resources = [rawResources];
  else {
    throw new ScimProtocolError('ListResponse "Resources" is neither an array nor an object', {
      ...ctx,
      body: `a ListResponse whose Resources is ${describeJson(rawResources)}`,
    });
  }
  return {
    resources,
    totalResults: toCount(keys.get('totalresults')),
    startIndex: toCount(keys.get('startindex')),
    itemsPerPage: toCount(keys.get('itemsperpage')),
    nextCursor: cursorOf(keys.get('nextcursor')),
    previousCursor: cursorOf(keys.get('previouscursor')),
  };
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function normalizeMembers(members: unknown): unknown {
  if (!Array.isArray(members)) return members;
  return members.map((member) => {
    if (!isPlainObject(member)) return member;
    // the RFC-cased key wins over any other casing: read it directly (groups carry many members)
    const value = idOf(Object.hasOwn(member, 'value') ? member.value : lowerCaseKeys(member).get('value'));
    if (value === undefined || value === member.value) return member;
    return { ...member, value };
  });
}

/** Member keys a member entry is read by; an entry with only these keys, RFC-cased, needs no case folding. */
const MEMBER_KEYS = new Set(['value', 'type', 'display', '$ref']);

/** The entry's keys by lower case; the entry itself (no copy) when all its keys are RFC-cased member keys. */
function memberKeys(entry: Record<string, unknown>): { get(key: string): unknown } {
  for (const key in entry) if (!MEMBER_KEYS.has(key)) return lowerCaseKeys(entry);
  return { get: (key) => (Object.hasOwn(entry, key) ? entry[key] : undefined) };
}

/** Makes `id` (and `members[].value`) strings, or explains why the record cannot be used. */
export function normalizeResource(raw: unknown): { resource: ScimResource } | { rejected: RejectedRecord } {
  if (!isPlainObject(raw)) {
    return { rejected: { reason: 'entry is not a JSON object', excerpt: excerptOf(JSON.stringify(raw) ?? String(raw)) } };
  }
  const idKey = Object.keys(raw).find((k) => k.toLowerCase() === 'id');
  const id = idKey === undefined ? undefined : idOf(raw[idKey]);
  if (id === undefined) {
    const reason = idKey === undefined ? 'record has no id' : 'record id is empty or not a string/number';
    return { rejected: { reason, excerpt: excerptOf(JSON.stringify(raw)) } };
  }
  const resource: Record<string, unknown> = { ...raw };
  if (idKey !== 'id') delete resource[idKey as string];
  resource.id = id;
  const membersKey = Object.keys(raw).find((k) => k.toLowerCase() === 'members');
  if (membersKey !== undefined) resource[membersKey] = normalizeMembers(raw[membersKey]);
  return { resource: resource as ScimResource };
}

/** Extracts a group's members as strings-only entries, skipping entries without a usable value. */
export function membersOf(resource: Record<string, unknown>): ScimMember[] {
  const membersKey = Object.keys(resource).find((k) => k.toLowerCase() === 'members');
  const raw = membersKey === undefined ? undefined : resource[membersKey];
  if (!Array.isArray(raw)) return [];
  const out: ScimMember[] = [];
  for (const entry of raw) {
    if (!isPlainObject(entry)) continue;
    const keys = memberKeys(entry);
    const value = idOf(keys.get('value'));
    if (value === undefined) continue;
    const member: ScimMember = { value };
    const type = keys.get('type');
    const display = keys.get('display');
    const ref = keys.get('$ref');
    if (typeof type === 'string') member.type = type;
    if (typeof display === 'string') member.display = display;
    if (typeof ref === 'string') member.$ref = ref;
    out.push(member);
  }
  return out;
}
