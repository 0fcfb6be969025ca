/**
 * A fast SCIM 2.0 source for the benchmark: node:http, ListResponse pages built from the data
 * generator, basic auth. It supports exactly what the import asks of a source — index paging,
 * the changed-since filter, excludedAttributes=members, `attributes=` (RFC 7644 §3.4.2.5, see
 * scim-projection.ts), descending sort for the listing's tail check, single-resource reads — so
 * the importer, not the source, is what gets measured. It remembers which attributes each
 * listing asked for (`listingRequests`), so the benchmark can measure fetch-only of the same request.
 * It serves /Users, /Groups and, when the data set has devices, the generic /Devices.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEVICE_SCHEMA, type BenchDataSet } from './data-generator';
import { parseAttributesParam, projectParts, projectionKey } from './scim-projection';

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
/** the only filter form incremental reads send (see composeIncrementalFilter in libs/scim) */
const CHANGED_SINCE = /^\s*meta\.lastModified\s+gt\s+"([^"]+)"\s*$/i;

export interface FixtureScimServerOptions {
  dataSet: BenchDataSet;
  username: string;
  password: string;
  host?: string;
  /** 0 (default) picks a free port */
  port?: number;
  basePath?: string;
  /** largest `count` honoured; bigger requests get this many (as real servers cap silently) */
  maxPageSize?: number;
  /** serialised pages kept; a retried or re-read page is served without generating it again */
  cachedPages?: number;
  /**
   * Groups with more members than this are listed without `members` (the importer then reads
   * them with GET /Groups/{id}), as servers do that cap what a listing carries; unlimited by
   * default. A page of a few 100,000-member groups would otherwise be larger than any sane
   * response limit.
   */
  maxMembersInListing?: number;
}

/** What the source served, for the report: requests, bytes, cache hits. */
export interface SourceCounters {
  requests: number;
  bytes: number;
  pagesGenerated: number;
  cacheHits: number;
}

type Resource = 'Users' | 'Groups' | 'Devices';

/** The projection parameters of listing requests for one resource path, and how many pages asked with them. */
export interface ListingRequest {
  /** `attributes=` names as sent (empty: all attributes) */
  attributes: string[];
  /** `excludedAttributes=` names as sent */
  excludedAttributes: string[];
  pages: number;
}

/** One listing page request, normalised; its key identifies the serialised page. */
interface PageQuery {
  resource: Resource;
  since?: number;
  withMembers: boolean;
  descending: boolean;
  startIndex: number;
  count: number;
  /** `attributes=` names (empty: every attribute) */
  attributes: string[];
}

class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: string,
  ) {
    super(message);
  }
}

function keyOf(q: PageQuery): string {
  return `${q.resource}|${q.since ?? ''}|${q.withMembers ? 1 : 0}|${q.descending ? 1 : 0}|${q.startIndex}|${q.count}|${projectionKey(q.attributes)}`;
}

/** A Map kept in use order: the oldest entry is evicted first. */
class PageCache {
  private readonly pages = new Map<string, Buffer>();
  constructor(private readonly capacity: number) {}

  get(key: string): Buffer | undefined {
    const page = this.pages.get(key);
    if (page) {
      this.pages.delete(key);
      this.pages.set(key, page);
    }
    return page;
  }

  set(key: string, page: Buffer): void {
    this.pages.delete(key);
    this.pages.set(key, page);
    while (this.pages.size > this.capacity) this.pages.delete(this.pages.keys().next().value as string);
  }

  clear(): void {
    this.pages.clear();
  }
}

export class FixtureScimServer {
  readonly counters: SourceCounters = { requests: 0, bytes: 0, pagesGenerated: 0, cacheHits: 0 };
  private readonly cache: PageCache;
  private readonly authorization: string;
  private readonly basePath: string;
  private readonly maxPageSize: number;
  /** incremental listings scan every user once per `since`; the result is kept until the data changes */
  private readonly changedIndexes = new Map<string, number[]>();
  private readAheadPending = false;
  /** per resource path (`/Users`), the projections its listing pages were asked with (tail checks apart) */
  private readonly listings = new Map<string, Map<string, ListingRequest>>();

  private readonly server: Server;
  private url_ = '';

  private constructor(private readonly opts: FixtureScimServerOptions) {
    this.cache = new PageCache(opts.cachedPages ?? 16);
    this.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    this.basePath = (opts.basePath ?? '/scim/v2').replace(/\/+$/, '');
    this.maxPageSize = opts.maxPageSize ?? 10_000;
    this.server = createServer((req, res) => this.handle(req, res));
    // importers hold connections open between pages; closing them early costs a reconnect per page
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  static async start(opts: FixtureScimServerOptions): Promise<FixtureScimServer> {
    const self = new FixtureScimServer(opts);
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      self.server.once('error', reject);
      self.server.listen(opts.port ?? 0, host, () => resolve());
    });
    const { port } = self.server.address() as AddressInfo;
    self.url_ = `http://${host}:${port}${self.basePath}`;
    opts.dataSet.setLocationBase(self.url_);
    return self;
  }

  /** The SCIM base URL, e.g. http://127.0.0.1:40123/scim/v2 */
  get url(): string {
    return this.url_;
  }

  get dataSet(): BenchDataSet {
    return this.opts.dataSet;
  }

  /** Changes ~basisPoints/10000 of the users now (or at `at`); served pages are rebuilt. */
  applyChange(basisPoints: number, at?: number): number {
    const n = this.opts.dataSet.applyChange(basisPoints, at);
    this.invalidate();
    return n;
  }

  /** Deletes ~basisPoints/10000 of the users; the groups that listed them change too. */
  applyDelete(basisPoints: number, at?: number): number {
    const n = this.opts.dataSet.applyDelete(basisPoints, at);
    this.invalidate();
    return n;
  }

  /** The projections each resource's listing pages were asked with since the last reset, most pages first. */
  listingRequests(): Record<string, ListingRequest[]> {
    const out: Record<string, ListingRequest[]> = {};
    for (const [path, seen] of this.listings) out[path] = [...seen.values()].sort((a, b) => b.pages - a.pages);
    return out;
  }

  resetListingRequests(): void {
    this.listings.clear();
  }

  private invalidate(): void {
    this.cache.clear();
    this.changedIndexes.clear();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++;
    try {
      if (req.method !== 'GET') throw new ScimHttpError(405, `${req.method} is not supported by the benchmark source`);
      if (req.headers.authorization !== this.authorization) {
        res.setHeader('WWW-Authenticate', 'Basic realm="bench"');
        throw new ScimHttpError(401, 'authentication required');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!url.pathname.startsWith(this.basePath)) throw new ScimHttpError(404, `${url.pathname} not found`);
      const path = url.pathname.slice(this.basePath.length).replace(/\/+$/, '');
      const parts = path.split('/').filter(Boolean);
      if (parts.length === 1 && parts[0] === 'ServiceProviderConfig') return this.send(res, 200, this.serviceProviderConfig());
      if (parts.length === 1 && parts[0] === 'ResourceTypes') return this.send(res, 200, this.resourceTypes());
      if (parts[0] === 'Users' || parts[0] === 'Groups' || (parts[0] === 'Devices' && this.opts.dataSet.deviceCount > 0)) {
        const resource: Resource = parts[0];
        if (parts.length === 1) return this.send(res, 200, this.page(this.pageQuery(resource, url.searchParams), url.searchParams));
        if (parts.length === 2) return this.send(res, 200, this.single(resource, decodeURIComponent(parts[1]), url.searchParams));
      }
      throw new ScimHttpError(404, `${url.pathname} not found`);
    } catch (err) {
      const e = err instanceof ScimHttpError ? err : new ScimHttpError(500, err instanceof Error ? err.message : String(err));
      const body: Record<string, unknown> = { schemas: [ERROR], status: String(e.status), detail: e.message };
      if (e.scimType) body.scimType = e.scimType;
      this.send(res, e.status, Buffer.from(JSON.stringify(body)));
    }
  }

  private send(res: ServerResponse, status: number, body: Buffer): void {
    this.counters.bytes += body.length;
    res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': body.length });
    res.end(body);
  }

  private serviceProviderConfig(): Buffer {
    return Buffer.from(
      JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: false },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: this.maxPageSize },
        changePassword: { supported: false },
        sort: { supported: true },
        etag: { supported: false },
        pagination: { cursor: false, index: true, defaultPaginationMethod: 'index', defaultPageSize: 100, maxPageSize: this.maxPageSize },
        authenticationSchemes: [{ type: 'httpbasic', name: 'HTTP Basic', description: 'benchmark source', primary: true }],
      }),
    );
  }

  private resourceTypes(): Buffer {
    const type = (name: string, endpoint: string, schema: string, extensions: string[]) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: name,
      name,
      endpoint,
      schema,
      schemaExtensions: extensions.map((s) => ({ schema: s, required: false })),
    });
    const resources = [
      type('User', '/Users', 'urn:ietf:params:scim:schemas:core:2.0:User', ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']),
      type('Group', '/Groups', 'urn:ietf:params:scim:schemas:core:2.0:Group', []),
    ];
    if (this.opts.dataSet.deviceCount > 0) resources.push(type('Device', '/Devices', DEVICE_SCHEMA, []));
    const n = resources.length;
    return Buffer.from(JSON.stringify({ schemas: [LIST_RESPONSE], totalResults: n, startIndex: 1, itemsPerPage: n, Resources: resources }));
  }

  private single(resource: Resource, id: string, params: URLSearchParams): Buffer {
    const ds = this.opts.dataSet;
    const attributes = parseAttributesParam(params.get('attributes'));
    if (resource === 'Users') {
      const i = ds.userIndexOfId(id);
      if (i === undefined) throw new ScimHttpError(404, `User ${id} not found`);
      return Buffer.from(projectParts(ds.userParts(i), attributes));
    }
    if (resource === 'Devices') {
      const d = ds.deviceIndexOfId(id);
      if (d === undefined) throw new ScimHttpError(404, `Device ${id} not found`);
      return Buffer.from(projectParts(ds.deviceParts(d), attributes));
    }
    const g = ds.groupIndexOfId(id);
    if (g === undefined) throw new ScimHttpError(404, `Group ${id} not found`);
    return Buffer.from(projectParts(ds.groupParts(g, !excludesMembers(params) && selectsMembers(attributes)), attributes));
  }

  // ---- listings -----------------------------------------------------------------------------

  private pageQuery(resource: Resource, params: URLSearchParams): PageQuery {
    const filter = params.get('filter');
    let since: number | undefined;
    if (filter !== null && filter.trim() !== '') {
      const m = CHANGED_SINCE.exec(filter);
      since = m ? Date.parse(m[1]) : NaN;
      if (!m || Number.isNaN(since)) {
        throw new ScimHttpError(400, `the benchmark source filters only on meta.lastModified gt "<instant>", not ${filter}`, 'invalidFilter');
      }
    }
    const sortBy = params.get('sortBy')?.toLowerCase();
    // ids are index-ordered like creation times, so both sort keys are the reversed listing order
    const descending = params.get('sortOrder')?.toLowerCase() === 'descending' && (sortBy === 'meta.created' || sortBy === 'id');
    const startIndex = Math.max(1, intParam(params, 'startIndex', 1));
    const count = Math.min(this.maxPageSize, Math.max(0, intParam(params, 'count', 100)));
    const attributes = parseAttributesParam(params.get('attributes'));
    if (attributes.length > 0 && params.get('excludedAttributes')?.trim()) {
      throw new ScimHttpError(400, 'attributes and excludedAttributes are mutually exclusive', 'invalidSyntax');
    }
    const withMembers = resource === 'Groups' && !excludesMembers(params) && selectsMembers(attributes);
    return { resource, since, withMembers, descending, startIndex, count, attributes };
  }

  /** Serves a page from the cache or builds it, then builds the next one while the client is busy with this one. */
  private page(q: PageQuery, params: URLSearchParams): Buffer {
    if (!q.descending) this.noteListing(q, params);
    const key = keyOf(q);
    const cached = this.cache.get(key);
    if (cached) this.counters.cacheHits++;
    const body = cached ?? this.build(q, key);
    this.readAhead(q);
    return body;
  }

  private noteListing(q: PageQuery, params: URLSearchParams): void {
    const path = `/${q.resource}`;
    const excludedAttributes = parseAttributesParam(params.get('excludedAttributes'));
    const shape = `${projectionKey(q.attributes)}|${projectionKey(excludedAttributes)}`;
    const seen = this.listings.get(path) ?? new Map<string, ListingRequest>();
    this.listings.set(path, seen);
    const known = seen.get(shape);
    if (known) known.pages++;
    else seen.set(shape, { attributes: q.attributes, excludedAttributes, pages: 1 });
  }

  private build(q: PageQuery, key: string): Buffer {
    const { total, indexes } = this.slice(q);
    const ds = this.opts.dataSet;
    const limit = this.opts.maxMembersInListing;
    const listsMembers = (g: number) => q.withMembers && (limit === undefined || ds.membersOfGroup(g).length <= limit);
    // a projection copies whole attributes as generated text and parses only those of which it names sub-attributes
    const a = q.attributes;
    const resources =
      q.resource === 'Users'
        ? indexes.map((i) => (a.length ? projectParts(ds.userParts(i), a) : ds.userJson(i)))
        : q.resource === 'Devices'
          ? indexes.map((d) => (a.length ? projectParts(ds.deviceParts(d), a) : ds.deviceJson(d)))
          : indexes.map((g) => (a.length ? projectParts(ds.groupParts(g, listsMembers(g)), a) : ds.groupJson(g, listsMembers(g))));
    const body = Buffer.from(
      `{"schemas":["${LIST_RESPONSE}"],"totalResults":${total},"startIndex":${q.startIndex},"itemsPerPage":${indexes.length},` +
        `"Resources":[${resources.join(',')}]}`,
    );
    this.counters.pagesGenerated++;
    this.cache.set(key, body);
    return body;
  }

  private readAhead(q: PageQuery): void {
    if (this.readAheadPending || q.count === 0) return;
    const next: PageQuery = { ...q, startIndex: q.startIndex + q.count };
    if (next.startIndex > this.totalOf(q)) return;
    const key = keyOf(next);
    if (this.cache.get(key)) return;
    this.readAheadPending = true;
    // after the response is flushed, so generating the next page never delays this one
    setImmediate(() => {
      this.readAheadPending = false;
      if (!this.cache.get(key)) this.build(next, key);
    });
  }

  private changedSince(resource: Resource, since: number): number[] {
    const key = `${resource}|${since}`;
    let found = this.changedIndexes.get(key);
    if (!found) {
      const ds = this.opts.dataSet;
      found =
        resource === 'Users' ? ds.userIndexesModifiedAfter(since) : resource === 'Devices' ? ds.deviceIndexesModifiedAfter(since) : ds.groupIndexesModifiedAfter(since);
      this.changedIndexes.set(key, found);
    }
    return found;
  }

  private totalOf(q: PageQuery): number {
    const ds = this.opts.dataSet;
    if (q.since !== undefined) return this.changedSince(q.resource, q.since).length;
    return q.resource === 'Users' ? ds.liveUserCount : q.resource === 'Devices' ? ds.deviceCount : ds.groupCount;
  }

  /** The record indexes of a page, in listing order. */
  private slice(q: PageQuery): { total: number; indexes: number[] } {
    const total = this.totalOf(q);
    const from = q.startIndex - 1;
    const count = Math.max(0, Math.min(q.count, total - from));
    if (count === 0) return { total, indexes: [] };
    // descending: position p counts from the end
    const first = q.descending ? total - from - count : from;
    let indexes: number[];
    if (q.since !== undefined) indexes = this.changedSince(q.resource, q.since).slice(first, first + count);
    else if (q.resource === 'Users') indexes = this.opts.dataSet.liveUserIndexes(first, count);
    else indexes = Array.from({ length: count }, (_, k) => first + k);
    return { total, indexes: q.descending ? indexes.reverse() : indexes };
  }
}

function intParam(params: URLSearchParams, name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ScimHttpError(400, `${name} must be an integer`, 'invalidValue');
  return n;
}

/** Whether `attributes=` leaves a group's members in (no names, `members`, `members.value`, or the core Group URN). */
function selectsMembers(attributes: string[]): boolean {
  return attributes.length === 0 || attributes.some((a) => /(^|:)members(\.|$)/i.test(a) || a.toLowerCase() === CORE_GROUP_URN);
}

const CORE_GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:group';

function excludesMembers(params: URLSearchParams): boolean {
  const excluded = params.get('excludedAttributes');
  return excluded !== null && excluded.split(',').some((a) => a.trim().toLowerCase() === 'members');
}
