import type { ScimClientOptions, ScimConnectionConfig, ScimLogger } from './connection-config';
import { DEFAULT_PAGE_SIZE } from './connection-config';
import type { ScimDiscovery, ServiceProviderCapabilities } from './discovery';
import { parseResourceTypes, parseSchemas, parseServiceProviderConfig } from './discovery';
import { ScimAuthError, ScimConfigError, ScimError, ScimProtocolError, redactScimError } from './errors';
import { ScimHttpTransport } from './http-transport';
import { digestListResponse, filterCheckOf, type DigestedListResponse, type ListPageText } from './list-page';
import { membersOf, normalizeResource, parseJsonBody, parseListResponse } from './list-response';
import type { ListOptions, ListingSource, PagingMethod } from './resource-listing';
import { ResourceListing } from './resource-listing';
import type { ScimMember, ScimResource } from './scim-resource';
import { describeJson } from './untrusted-answer';

/** Spellings of the ServiceProviderConfig endpoint seen in products, tried in this order. */
const SERVICE_PROVIDER_CONFIG_PATHS = ['/ServiceProviderConfig', '/ServiceProviderConfigs', '/serviceproviderconfig'];

export interface ConnectionTestResult {
  ok: boolean;
  latencyMs: number;
  message: string;
}

export interface AuthenticationTestResult {
  ok: boolean;
  message: string;
  serviceProvider?: ServiceProviderCapabilities;
}

export interface GetResourceOptions {
  attributes?: string[];
  excludedAttributes?: string[];
}

const silentLogger: ScimLogger = { debug: () => undefined, warn: () => undefined };

/**
 * Makes a listing's records into what its reader wants (ScimClient.listResources): `payload` here,
 * or the whole page from its text elsewhere (`digestText`, e.g. a worker thread). A page
 * `digestText` fails on is digested here with `payload`, so both must make the same of a record.
 */
export interface PageDigester<P> {
  payload(resource: ScimResource): P;
  digestText?(page: ListPageText, filter: string | undefined): Promise<DigestedListResponse<P>>;
}

/** Errors that mean "this endpoint is not here", as opposed to "you may not" or "try later". */
function isMissingEndpoint(err: unknown): boolean {
  if (err instanceof ScimProtocolError) return true;
  return err instanceof ScimConfigError && err.status !== undefined && [404, 405, 501].includes(err.status);
}

/** The paging rule of listings (ResourceListing): cursors when offered and index is absent or not preferred. */
function usesCursorPaging(spc: ServiceProviderCapabilities): boolean {
  return spc.cursorPagination && (!spc.indexPagination || spc.defaultPaginationMethod === 'cursor');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A SCIM 2.0 reading client for one connector: discovery, connection and credential tests,
 * complete listings (index or cursor paging) and single-resource reads. Every failure is a
 * typed ScimError; call `close()` when done to release connections.
 */
export class ScimClient {
  private readonly transport: ScimHttpTransport;
  private readonly logger: ScimLogger;
  private readonly pageSize: number;
  private spc?: Promise<ServiceProviderCapabilities>;

  constructor(config: ScimConnectionConfig, options: ScimClientOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.transport = new ScimHttpTransport(config, { ...options, logger: this.logger });
    this.pageSize = config.pageSize && config.pageSize > 0 ? Math.floor(config.pageSize) : DEFAULT_PAGE_SIZE;
  }

  /** Largest answer read per request, in bytes (the connector's limit, or the process's when lower). */
  get maxResponseBytes(): number {
    return this.transport.maxResponseBytes;
  }

  /** The text with every form of this connector's secrets (and the access tokens it was issued) replaced by `***`. */
  redact(text: string): string {
    return this.transport.redact(text);
  }

  /** Releases pooled connections; the client cannot be used afterwards. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /** Reads ServiceProviderConfig (required), ResourceTypes and Schemas (optional hints). */
  async discover(): Promise<ScimDiscovery> {
    const serviceProvider = await this.serviceProviderConfig();
    const warnings: string[] = [];
    const resourceTypes = await this.optionalHint('/ResourceTypes', parseResourceTypes, warnings);
    const schemas = await this.optionalHint('/Schemas', parseSchemas, warnings);
    const discovery: ScimDiscovery = { serviceProvider, resourceTypes: resourceTypes ?? [], warnings };
    if (schemas !== undefined) discovery.schemas = schemas;
    return discovery;
  }

  /** The server's capabilities, read once per client (tries `/ServiceProviderConfigs` and lower case too). */
  serviceProviderConfig(): Promise<ServiceProviderCapabilities> {
    if (!this.spc) {
      this.spc = this.readServiceProviderConfig();
      // A failed read must not be cached: the next call may follow a fixed credential or a recovered server.
      this.spc.catch(() => {
        this.spc = undefined;
      });
    }
    return this.spc;
  }

  private async readServiceProviderConfig(): Promise<ServiceProviderCapabilities> {
    let firstError: unknown;
    for (const path of SERVICE_PROVIDER_CONFIG_PATHS) {
      try {
        const res = await this.transport.request({ path });
        return parseServiceProviderConfig(res.body, { method: 'GET', url: res.url, status: res.status });
      } catch (err) {
        if (!isMissingEndpoint(err)) throw err;
        firstError ??= err;
      }
    }
    const first = firstError instanceof ScimError ? firstError : undefined;
    throw new ScimConfigError(
      `no ServiceProviderConfig under ${this.transport.redactedBaseUrl} (tried ${SERVICE_PROVIDER_CONFIG_PATHS.join(', ')}); ` +
        `check that the base URL points at the SCIM root. First answer: ${messageOf(firstError)}`,
      { method: 'GET', url: first?.url, status: first?.status },
    );
  }

  private async optionalHint<T>(path: string, parse: (body: unknown) => T, warnings: string[]): Promise<T | undefined> {
    try {
      const res = await this.transport.request({ path });
      return parse(res.body);
    } catch (err) {
      if (!(err instanceof ScimError)) throw err;
      const warning = `${path} could not be read, continuing without it: ${err.message}`;
      warnings.push(warning);
      this.logger.warn('SCIM discovery hint unavailable', { path, error: err.message });
      return undefined;
    }
  }

  /** Checks that the server answers over HTTP(S) with valid TLS; any HTTP status counts. Never throws. */
  async testConnection(): Promise<ConnectionTestResult> {
    const started = Date.now();
    try {
      const res = await this.transport.probe({ path: SERVICE_PROVIDER_CONFIG_PATHS[0] });
      const tls = res.url.startsWith('https:') ? ' over verified TLS' : '';
      return {
        ok: true,
        latencyMs: Date.now() - started,
        message: `reachable${tls}: GET ${res.url} answered HTTP ${res.status}`,
      };
    } catch (err) {
      return { ok: false, latencyMs: Date.now() - started, message: `not reachable: ${messageOf(err)}` };
    }
  }

  /**
   * Checks the credentials: reads ServiceProviderConfig, then one record of `probePath`
   * (default `/Users`), because many servers serve the config without authentication. Never throws.
   */
  async testAuthentication(probePath = '/Users'): Promise<AuthenticationTestResult> {
    let serviceProvider: ServiceProviderCapabilities | undefined;
    let spcNote = '';
    try {
      serviceProvider = await this.serviceProviderConfig();
    } catch (err) {
      if (err instanceof ScimAuthError) return { ok: false, message: `authentication failed: ${err.message}` };
      if (!(err instanceof ScimConfigError)) return { ok: false, message: `could not check credentials: ${messageOf(err)}` };
      spcNote = ' (ServiceProviderConfig is not available)';
    }
    // probe the way the server says it pages: a cursor-only server (RFC 9865) may answer 501 to startIndex
    const byCursor = serviceProvider !== undefined && usesCursorPaging(serviceProvider);
    const probe = (cursor: boolean) =>
      this.transport.request({
        path: probePath,
        query: cursor
          ? [
              ['count', '1'],
              ['cursor', ''],
            ]
          : [
              ['startIndex', '1'],
              ['count', '1'],
            ],
      });
    try {
      let cursorUsed = byCursor;
      try {
        await probe(byCursor);
      } catch (err) {
        // a server that announces cursors next to index paging may still refuse one of them
        const refused = err instanceof ScimConfigError && (err.status === 400 || err.status === 501);
        if (!refused || !serviceProvider || !(byCursor ? serviceProvider.indexPagination : serviceProvider.cursorPagination)) throw err;
        cursorUsed = !byCursor;
        await probe(cursorUsed);
      }
      const paging = cursorUsed ? ' with cursor paging' : '';
      return { ok: true, message: `credentials accepted: read ${probePath}${paging}${spcNote}`, serviceProvider };
    } catch (err) {
      if (err instanceof ScimAuthError) return { ok: false, message: `authentication failed: ${err.message}`, serviceProvider };
      if (err instanceof ScimConfigError && err.status === 404 && serviceProvider) {
        return {
          ok: true,
          message: `ServiceProviderConfig read, but ${probePath} does not exist, so the credentials were not tested on data`,
          serviceProvider,
        };
      }
      return { ok: false, message: `could not check credentials: ${messageOf(err)}`, serviceProvider };
    }
  }

  /**
   * Lists every resource under `path` (e.g. `/Users`), page by page, de-duplicated, with a
   * completeness verdict in `report()` once `pages()` has been read to the end.
   *
   * Groups: many servers omit or cap `members` in listings (RFC 7643 cannot page members).
   * The import should list `/Groups` with `excludedAttributes: ['members']` (small pages) and
   * then call `fetchGroupMembers(id)` for each group, which reads the full member list.
   */
  listResources(path: string, options?: ListOptions): ResourceListing;
  /**
   * With a digester, the listing's pages hold what `digester` makes of each record; a digester
   * that digests page texts elsewhere (`digestText`, a worker thread) keeps JSON.parse and the
   * per-record work off this thread.
   */
  listResources<P>(path: string, options: ListOptions, digester: PageDigester<P>): ResourceListing<P>;
  listResources<P>(path: string, options: ListOptions = {}, digester?: PageDigester<P>): ResourceListing<P> | ResourceListing {
    const base = {
      defaultPageSize: this.pageSize,
      logger: this.logger,
      displayUrl: (p: string) => this.safeDisplayUrl(p),
      pagingHints: () => this.pagingHints(),
    };
    if (!digester) {
      const source: ListingSource = {
        ...base,
        fetchPage: async (p, query) => {
          const res = await this.transport.request({ path: p, query });
          return { ...parseListResponse(res.body, { method: 'GET', url: res.url, status: res.status }), bytes: res.bytes };
        },
      };
      return new ResourceListing(path, options, source);
    }
    const filterCheck = filterCheckOf(options.filter);
    const digestHere = (page: ListPageText): DigestedListResponse<P> => {
      let body: unknown;
      try {
        body = parseJsonBody(page.text, page.contentType, page.ctx);
      } catch {
        // the error quotes the body; quote the scrubbed text
        body = parseJsonBody(this.redact(page.text), page.contentType, page.ctx);
      }
      return { ...digestListResponse(parseListResponse(body, page.ctx), filterCheck, (r) => digester.payload(r)), bytes: page.text.length };
    };
    const source: ListingSource<P> = {
      ...base,
      fetchPage: async (p, query) => {
        const res = await this.transport.requestText({ path: p, query });
        const page: ListPageText = { text: res.text, contentType: res.contentType, ctx: { method: 'GET', url: res.url, status: res.status } };
        try {
          if (digester.digestText) {
            try {
              return await digester.digestText(page, options.filter);
            } catch (err) {
              // a page the thread could not digest (not a ListResponse, or the thread died) is
              // digested here: the same records, or the error the answer deserves, scrubbed (the
              // thread's message is not: it may quote the body)
              this.logger.debug('SCIM list page digested in-process', { path: p, reason: err instanceof Error ? err.name : typeof err });
            }
          }
          return digestHere(page);
        } catch (err) {
          throw err instanceof ScimError ? redactScimError(err, (t) => this.redact(t)) : err;
        }
      },
    };
    return new ResourceListing<P>(path, options, source);
  }

  private safeDisplayUrl(path: string): string {
    try {
      return this.transport.urlFor(path).toString();
    } catch {
      return path;
    }
  }

  private async pagingHints(): Promise<{ cursor: boolean; index: boolean; preferred?: PagingMethod; maxPageSize?: number }> {
    try {
      const spc = await this.serviceProviderConfig();
      return {
        cursor: spc.cursorPagination,
        index: spc.indexPagination,
        preferred: spc.defaultPaginationMethod,
        maxPageSize: spc.maxPageSize,
      };
    } catch (err) {
      if (err instanceof ScimAuthError || !(err instanceof ScimError)) throw err;
      // Without a readable config, index paging is the RFC 7644 default; a nextCursor in the answer still switches.
      this.logger.debug('SCIM paging hints unavailable; using index paging', { error: err.message });
      return { cursor: false, index: true };
    }
  }

  /** Reads one resource; resolves to null when the server says it does not exist (404). */
  async getResource(path: string, id: string, options: GetResourceOptions = {}): Promise<ScimResource | null> {
    if (options.attributes?.length && options.excludedAttributes?.length) {
      throw new ScimConfigError('attributes and excludedAttributes are mutually exclusive (RFC 7644 3.4.2.5)');
    }
    const query: [string, string][] = [];
    if (options.attributes?.length) query.push(['attributes', options.attributes.join(',')]);
    if (options.excludedAttributes?.length) query.push(['excludedAttributes', options.excludedAttributes.join(',')]);
    const resourcePath = `${path.replace(/\/+$/, '')}/${encodeURIComponent(id)}`;
    let res;
    try {
      res = await this.transport.request({ path: resourcePath, query });
    } catch (err) {
      if (err instanceof ScimConfigError && err.status === 404) return null;
      throw err;
    }
    const normalized = normalizeResource(res.body);
    if ('rejected' in normalized) {
      // an answer to a credentialed request, not a record of a listing: described, not quoted
      throw new ScimProtocolError(`expected a SCIM resource: ${normalized.rejected.reason}`, {
        method: 'GET',
        url: res.url,
        status: res.status,
        body: describeJson(res.body),
      });
    }
    return normalized.resource;
  }

  /**
   * Reads a group's full member list (`GET /Groups/{id}?attributes=members`); null when the
   * group no longer exists. Use it for every group when listings omit or cap `members`.
   */
  async fetchGroupMembers(groupId: string, options: { groupsPath?: string } = {}): Promise<ScimMember[] | null> {
    const group = await this.getResource(options.groupsPath ?? '/Groups', groupId, { attributes: ['members'] });
    return group === null ? null : membersOf(group);
  }
}
