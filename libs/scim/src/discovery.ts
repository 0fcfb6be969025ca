import type { ScimErrorContext } from './errors';
import { ScimProtocolError } from './errors';
import { describeJson } from './untrusted-answer';
import { lowerCaseKeys, toBool, toCount } from './list-response';

/** What the server says it supports; hints only, servers overstate and understate. */
export interface ServiceProviderCapabilities {
  filter: boolean;
  sort: boolean;
  etag: boolean;
  patch: boolean;
  /** `filter.maxResults`: a filtered listing may stop at this many results. */
  maxResults?: number;
  cursorPagination: boolean;
  indexPagination: boolean;
  maxPageSize?: number;
  defaultPageSize?: number;
  defaultPaginationMethod?: 'index' | 'cursor';
  cursorTimeoutSeconds?: number;
}

export interface ResourceTypeInfo {
  name: string;
  endpoint: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

export interface SchemaAttributeInfo {
  name: string;
  type?: string;
  multiValued?: boolean;
  caseExact?: boolean;
  returned?: string;
  subAttributes?: SchemaAttributeInfo[];
}

export interface SchemaInfo {
  id: string;
  name?: string;
  attributes: SchemaAttributeInfo[];
}

/** Result of `ScimClient.discover()`. */
export interface ScimDiscovery {
  serviceProvider: ServiceProviderCapabilities;
  /** Empty when the server has no readable `/ResourceTypes`. */
  resourceTypes: ResourceTypeInfo[];
  /** Absent when the server has no readable `/Schemas`. */
  schemas?: SchemaInfo[];
  /** What could not be read, in words. */
  warnings: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sub(keys: Map<string, unknown>, name: string): Map<string, unknown> {
  const value = keys.get(name);
  return isObj(value) ? lowerCaseKeys(value) : new Map();
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads a ServiceProviderConfig body, tolerating key casing and strings for booleans and numbers. */
export function parseServiceProviderConfig(body: unknown, ctx: ScimErrorContext): ServiceProviderCapabilities {
  // Some products wrap the config in a ListResponse (the /ServiceProviderConfigs spelling).
  let config = body;
  if (isObj(body)) {
    const resources = lowerCaseKeys(body).get('resources');
    if (Array.isArray(resources) && isObj(resources[0])) config = resources[0];
  }
  if (!isObj(config)) {
    throw new ScimProtocolError('ServiceProviderConfig is not a JSON object', {
      ...ctx,
      body: describeJson(body),
    });
  }
  const keys = lowerCaseKeys(config);
  const known = ['filter', 'patch', 'sort', 'etag', 'bulk', 'pagination', 'authenticationschemes', 'changepassword', 'schemas'];
  if (!known.some((k) => keys.has(k))) {
    throw new ScimProtocolError('response is JSON but not a SCIM ServiceProviderConfig', {
      ...ctx,
      body: describeJson(config),
    });
  }
  const filter = sub(keys, 'filter');
  const pagination = sub(keys, 'pagination');
  const cursor = toBool(pagination.get('cursor')) ?? false;
  const method = str(pagination.get('defaultpaginationmethod'))?.toLowerCase();
  const out: ServiceProviderCapabilities = {
    filter: toBool(filter.get('supported')) ?? false,
    sort: toBool(sub(keys, 'sort').get('supported')) ?? false,
    etag: toBool(sub(keys, 'etag').get('supported')) ?? false,
    patch: toBool(sub(keys, 'patch').get('supported')) ?? false,
    cursorPagination: cursor,
    // RFC 7644 servers without the RFC 9865 `pagination` block page by index.
    indexPagination: toBool(pagination.get('index')) ?? true,
  };
  const maxResults = toCount(filter.get('maxresults'));
  if (maxResults !== undefined && maxResults > 0) out.maxResults = maxResults;
  const maxPageSize = toCount(pagination.get('maxpagesize'));
  if (maxPageSize !== undefined && maxPageSize > 0) out.maxPageSize = maxPageSize;
  const defaultPageSize = toCount(pagination.get('defaultpagesize'));
  if (defaultPageSize !== undefined && defaultPageSize > 0) out.defaultPageSize = defaultPageSize;
  if (method === 'index' || method === 'cursor') out.defaultPaginationMethod = method;
  const cursorTimeout = toCount(pagination.get('cursortimeout'));
  if (cursorTimeout !== undefined) out.cursorTimeoutSeconds = cursorTimeout;
  return out;
}

/** Entries of a discovery listing, which servers send as a ListResponse, a bare array or a single object. */
function entriesOf(body: unknown): Obj[] {
  if (Array.isArray(body)) return body.filter(isObj);
  if (!isObj(body)) return [];
  const resources = lowerCaseKeys(body).get('resources');
  if (Array.isArray(resources)) return resources.filter(isObj);
  if (lowerCaseKeys(body).has('totalresults')) return [];
  return [body];
}

/** Reads `/ResourceTypes`; entries without an endpoint are skipped. */
export function parseResourceTypes(body: unknown): ResourceTypeInfo[] {
  const out: ResourceTypeInfo[] = [];
  for (const entry of entriesOf(body)) {
    const keys = lowerCaseKeys(entry);
    const endpoint = str(keys.get('endpoint'));
    if (!endpoint) continue;
    const extensions = keys.get('schemaextensions');
    out.push({
      name: str(keys.get('name')) ?? str(keys.get('id')) ?? endpoint.replace(/^\//, ''),
      endpoint: endpoint.startsWith('/') ? endpoint : `/${endpoint}`,
      schema: str(keys.get('schema')) ?? '',
      schemaExtensions: Array.isArray(extensions)
        ? extensions.filter(isObj).flatMap((ext) => {
            const ek = lowerCaseKeys(ext);
            const schema = str(ek.get('schema'));
            return schema ? [{ schema, required: toBool(ek.get('required')) ?? false }] : [];
          })
        : [],
    });
  }
  return out;
}

function parseAttributes(value: unknown): SchemaAttributeInfo[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObj).flatMap((attr) => {
    const keys = lowerCaseKeys(attr);
    const name = str(keys.get('name'));
    if (!name) return [];
    const info: SchemaAttributeInfo = { name };
    const type = str(keys.get('type'));
    const multiValued = toBool(keys.get('multivalued'));
    const caseExact = toBool(keys.get('caseexact'));
    const returned = str(keys.get('returned'));
    const subAttributes = parseAttributes(keys.get('subattributes'));
    if (type) info.type = type;
    if (multiValued !== undefined) info.multiValued = multiValued;
    if (caseExact !== undefined) info.caseExact = caseExact;
    if (returned) info.returned = returned;
    if (subAttributes.length > 0) info.subAttributes = subAttributes;
    return [info];
  });
}

/** Reads `/Schemas` down to the attribute hints a mapping needs. */
export function parseSchemas(body: unknown): SchemaInfo[] {
  return entriesOf(body).flatMap((entry) => {
    const keys = lowerCaseKeys(entry);
    const id = str(keys.get('id'));
    if (!id) return [];
    const schema: SchemaInfo = { id, attributes: parseAttributes(keys.get('attributes')) };
    const name = str(keys.get('name'));
    if (name) schema.name = name;
    return [schema];
  });
}
