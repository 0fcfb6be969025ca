import type { NameStep } from './attribute-path';

export type Obj = Record<string, unknown>;

const CORE_SCHEMA_PREFIX = 'urn:ietf:params:scim:schemas:core:';

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own-property lookup: exact name first, then case-insensitive (never the prototype chain). */
export function lookup(obj: Obj, name: string, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  for (const k in obj) {
    if (k.length === key.length && k.toLowerCase() === key && Object.prototype.hasOwnProperty.call(obj, k)) return obj[k];
  }
  return undefined;
}

/** Whether the object has the attribute at all (even as null): what tells "absent" from "empty". */
export function hasAttribute(obj: Obj, name: string, key: string): boolean {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return true;
  for (const k in obj) if (k.length === key.length && k.toLowerCase() === key && Object.prototype.hasOwnProperty.call(obj, k)) return true;
  return false;
}

/**
 * Extension attributes live under record[urn]; a core schema URN (RFC 7644 allows fully qualified
 * core names) or the record's own primary schema means the top level.
 */
export function schemaContainer(record: Obj, urn: string): unknown {
  const container = lookup(record, urn, urn.toLowerCase());
  if (container !== undefined) return container;
  const key = urn.toLowerCase();
  if (key.startsWith(CORE_SCHEMA_PREFIX)) return record;
  const schemas = lookup(record, 'schemas', 'schemas');
  if (Array.isArray(schemas) && typeof schemas[0] === 'string' && schemas[0].toLowerCase() === key) return record;
  return undefined;
}

export function childOf(holder: unknown, step: NameStep, isElement: boolean): unknown {
  if (isObject(holder)) return lookup(holder, step.name, step.key);
  // Some servers send multi-valued attributes as bare values (roles: ["a"]); each element is its own "value".
  if (isElement && step.key === 'value' && holder !== undefined && holder !== null) return holder;
  return undefined;
}
