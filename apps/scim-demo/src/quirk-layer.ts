import { randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DEFAULT_PAGE_SIZE } from './scim-resources';
import type { ScimDemoAuth, ScimQuirks } from './demo-types';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SCIM_CONTENT_TYPE = 'application/scim+json';
const PLAIN_CONTENT_TYPE = 'application/json; charset=utf-8';
const CURSOR_TIMEOUT_SECONDS = 600;
const MAX_CURSORS = 10_000;
const LIST_PATH = /^\/(users|groups|devices)\/?$/i;
const SEARCH_PATH = /^\/(?:(users|groups|devices)\/)?\.search\/?$/i;
const SPC_PATH = /^\/serviceproviderconfig\/?$/i;

type Json = Record<string, any>;

/** What the request rewrite remembers for the response rewrite of the same request. */
interface ListRequestInfo {
  collection?: string;
  requestedCount?: number;
  requestedStartIndex?: number;
  cursorOffset?: number;
  cursorKey?: string;
  /** `attributes=` of the listing, applied to its records here (scimmy refuses sub-attributes and extension attributes) */
  attributes?: string[];
}

interface CursorEntry {
  offset: number;
  key: string;
  issuedAt: number;
}

/**
 * Misbehaviour of real SCIM servers, applied around scimmy's router: requests are rewritten before the
 * router sees them (query/body parameters) and responses after it has built them (JSON body, headers),
 * so the protocol core stays scimmy's.
 */
export class QuirkLayer {
  private quirks: ScimQuirks = {};
  private requestsSinceReset = 0;
  private burstLeft = 0;
  private cursorExpiryUsed = false;
  private projectedListings = 0;
  private readonly cursors = new Map<string, CursorEntry>();

  constructor(private readonly currentAuth: () => ScimDemoAuth | undefined) {}

  /** Replaces the quirks and restarts their counters (rate limit period, error burst, one-shot expiry). */
  set(quirks: ScimQuirks = {}): void {
    this.quirks = { ...quirks };
    this.requestsSinceReset = 0;
    this.burstLeft = quirks.errorBurst?.count ?? 0;
    this.cursorExpiryUsed = false;
    this.projectedListings = 0;
  }

  /** Express middleware to mount at the SCIM base path in front of the scimmy router. */
  router(): express.Router {
    const router = express.Router();
    router.use(express.json({ type: ['application/scim+json', 'application/json'], limit: '1mb' }));
    router.use((req, _res, next) => {
      // Express 5 re-parses req.query on every access, so scimmy-routers' numeric casting of startIndex
      // and count (and our rewrites) would be lost; an own property makes the parsed query stick.
      Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true, enumerable: true });
      next();
    });
    router.use((req, res, next) => this.injectFailures(req, res, next));
    router.use((req, res, next) => this.rewriteRequest(req, res, next));
    router.use((req, res, next) => this.installResponseRewrite(req, res, next));
    router.use((err: any, _req: Request, res: Response, next: NextFunction) => {
      if (err?.type === 'entity.parse.failed') this.sendError(res, 400, 'Request body is not valid JSON', 'invalidSyntax');
      else next(err);
    });
    return router;
  }

  private injectFailures(req: Request, res: Response, next: NextFunction): void {
    const q = this.quirks;
    this.requestsSinceReset += 1;
    if (q.echoAuthorization) {
      const received = req.get('authorization') ?? '(none)';
      res.set('X-Echo-Authorization', received);
      this.sendError(res, q.echoAuthorization.status, `Rejected request with Authorization: ${received}`);
      return;
    }
    if (this.burstLeft > 0 && q.errorBurst) {
      this.burstLeft -= 1;
      const { status } = q.errorBurst;
      if (status === 429 || status === 503) this.setRetryAfter(res);
      this.sendError(res, status, `Injected failure (${status})`);
      return;
    }
    if (q.rateLimitEvery && q.rateLimitEvery > 0 && this.requestsSinceReset % q.rateLimitEvery === 0) {
      this.setRetryAfter(res);
      this.sendError(res, 429, 'Too many requests');
      return;
    }
    next();
  }

  private rewriteRequest(req: Request, res: Response, next: NextFunction): void {
    const listMatch = req.method === 'GET' ? LIST_PATH.exec(req.path) : undefined;
    const searchMatch = req.method === 'POST' ? SEARCH_PATH.exec(req.path) : undefined;
    if (!listMatch && !searchMatch) return next();
    const params: Json = listMatch ? (req.query as Json) : req.body && typeof req.body === 'object' ? req.body : {};
    const q = this.quirks;
    const info: ListRequestInfo = {
      collection: (listMatch?.[1] ?? searchMatch?.[1])?.toLowerCase(),
      requestedCount: toInt(params.count),
      requestedStartIndex: toInt(params.startIndex),
    };
    res.locals.scimDemoList = info;

    if (typeof params.filter === 'string') {
      if (q.noLastModifiedFilter && /meta\.lastModified/i.test(params.filter)) {
        return this.sendError(res, 400, 'Filtering on meta.lastModified is not supported', 'invalidFilter');
      }
      if (q.ignoreFilter) delete params.filter;
    }

    if (params.attributes !== undefined) {
      if (q.rejectAttributes === 501) return this.sendError(res, 501, 'The attributes parameter is not implemented');
      if (q.rejectAttributes) return this.sendError(res, 400, 'The attributes parameter is not supported', 'invalidValue');
      if (q.rejectAttributesAfter !== undefined && ++this.projectedListings > q.rejectAttributesAfter) {
        return this.sendError(res, 400, 'The attributes parameter is no longer supported', 'invalidValue');
      }
      const names = (Array.isArray(params.attributes) ? params.attributes.map(String) : String(params.attributes).split(',')).map((a: string) => a.trim()).filter(Boolean);
      // a server that projects top-level attributes only drops the others without a word
      if (!q.ignoreAttributes) info.attributes = q.projectTopLevelOnly ? names.filter((n: string) => !/[.:]/.test(n)) : names;
      delete params.attributes;
    }

    if (q.cursorOnly) {
      if (params.startIndex !== undefined) {
        if (q.rejectStartIndexStatus === 501) return this.sendError(res, 501, 'Index pagination is not implemented; use the cursor parameter');
        return this.sendError(res, 400, 'Index pagination is not supported; use the cursor parameter', 'invalidValue');
      }
      const key = `${req.method} ${req.path.toLowerCase()}`;
      const cursor = params.cursor === undefined ? '' : String(params.cursor);
      let offset = 0;
      if (cursor !== '') {
        const entry = this.cursors.get(cursor);
        if (!entry || entry.key !== key) return this.sendError(res, 400, 'Unknown cursor', 'invalidCursor');
        if (q.expireCursorOnce && !this.cursorExpiryUsed) {
          this.cursorExpiryUsed = true;
          return this.sendError(res, 400, 'Cursor has expired', 'expiredCursor');
        }
        if (Date.now() - entry.issuedAt > CURSOR_TIMEOUT_SECONDS * 1000) {
          return this.sendError(res, 400, 'Cursor has expired', 'expiredCursor');
        }
        offset = entry.offset;
      }
      delete params.cursor;
      params.startIndex = offset + 1;
      info.cursorOffset = offset;
      info.cursorKey = key;
    } else {
      if (q.zeroBasedStartIndex && info.requestedStartIndex !== undefined) {
        params.startIndex = Math.max(info.requestedStartIndex, 0) + 1;
      }
      if (q.ignoreStartIndex) delete params.startIndex;
    }

    if (q.maxCount !== undefined) params.count = Math.min(info.requestedCount ?? DEFAULT_PAGE_SIZE, q.maxCount);
    const answer = q.hugePage ? () => streamHugePage(res, q.hugePage!) : next;
    if (q.listLatencyMs && q.listLatencyMs > 0) {
      const timer = setTimeout(answer, q.listLatencyMs);
      // a client that gives up must not leave a timer behind (nor keep a closing server waiting)
      res.once('close', () => clearTimeout(timer));
      return;
    }
    answer();
  }

  private installResponseRewrite(req: Request, res: Response, next: NextFunction): void {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const q = this.quirks;
      let out = body;
      if (body && typeof body === 'object') {
        const message = body as Json;
        if (Array.isArray(message.schemas) && message.schemas.includes(LIST_SCHEMA) && res.locals.scimDemoList) {
          // Shallow copy only: serialising every resource twice would double the cost of large pages.
          out = this.rewriteList({ ...message }, res.locals.scimDemoList as ListRequestInfo);
        } else if (req.method === 'GET' && SPC_PATH.test(req.path)) {
          out = this.rewriteServiceProviderConfig(toPlain(message));
        } else if (q.numbersAsStrings && typeof message.id === 'string') {
          out = numericIds(toPlain(message));
        }
      }
      if (res.statusCode === 401) res.set('WWW-Authenticate', this.challenge());
      if (q.plainJsonContentType) res.set('Content-Type', PLAIN_CONTENT_TYPE);
      return json(out);
    };
    next();
  }

  private rewriteList(body: Json, info: ListRequestInfo): Json {
    const q = this.quirks;
    const realTotal = Number(body.totalResults);
    const startIndex = Number(body.startIndex ?? 1);
    let resources: Json[] = Array.isArray(body.Resources) ? body.Resources : [];

    if (q.truncateAfter !== undefined) {
      resources = resources.slice(0, Math.max(0, q.truncateAfter - (startIndex - 1)));
      if (q.truncateWrongTotal) body.totalResults = Math.min(realTotal, q.truncateAfter);
    }
    if (info.attributes?.length) resources = resources.map((r) => project(toPlain(r), info.attributes!));
    if (q.omitMembersInList && info.collection !== 'users' && info.collection !== 'devices') {
      resources = resources.map((r) => {
        // a record listed with attributes= has no schemas: under /Groups it is a group all the same
        const group = Array.isArray(r.schemas) ? r.schemas.some((s: string) => s.endsWith(':Group')) : info.collection === 'groups';
        if (!group) return r;
        const plain = toPlain(r);
        delete plain.members;
        return plain;
      });
    }
    body.Resources = resources;
    // RFC 7644: itemsPerPage is the number returned; scimmy echoes the requested count.
    body.itemsPerPage = q.wrongItemsPerPage ? (info.requestedCount ?? DEFAULT_PAGE_SIZE) : resources.length;

    if (info.cursorOffset !== undefined) {
      delete body.startIndex;
      const nextOffset = info.cursorOffset + resources.length;
      if (resources.length > 0 && nextOffset < realTotal) body.nextCursor = this.issueCursor(nextOffset, info.cursorKey!);
    } else if (q.zeroBasedStartIndex) {
      body.startIndex = info.requestedStartIndex ?? 0;
    }

    if (q.omitTotalResults) delete body.totalResults;

    if (q.numbersAsStrings) {
      for (const key of ['totalResults', 'startIndex', 'itemsPerPage']) if (typeof body[key] === 'number') body[key] = String(body[key]);
      body.Resources = resources.map((r) => numericIds(toPlain(r)));
    }
    return body;
  }

  private rewriteServiceProviderConfig(body: Json): Json {
    const q = this.quirks;
    body.pagination = q.cursorOnly
      ? { cursor: true, index: false, defaultPaginationMethod: 'cursor', defaultPageSize: DEFAULT_PAGE_SIZE, cursorTimeout: CURSOR_TIMEOUT_SECONDS }
      : { cursor: false, index: true, defaultPaginationMethod: 'index', defaultPageSize: DEFAULT_PAGE_SIZE };
    // scimmy keeps one process-wide config; each demo server describes its own accepted schemes.
    const auth = this.currentAuth();
    const schemes: Json[] = [];
    if (auth?.basic) {
      schemes.push({ type: 'httpbasic', name: 'HTTP Basic', description: 'Authentication scheme using the HTTP Basic Standard', specUri: 'https://datatracker.ietf.org/doc/html/rfc7617', primary: true });
    }
    if (auth?.bearer) {
      schemes.push({ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Authentication scheme using the OAuth Bearer Token Standard', specUri: 'https://datatracker.ietf.org/doc/html/rfc6750', primary: !auth.basic });
    }
    body.authenticationSchemes = schemes;
    return body;
  }

  private issueCursor(offset: number, key: string): string {
    // Standard base64 on purpose: '+', '/' and '=' punish clients that forget to percent-encode.
    const token = randomBytes(12).toString('base64');
    this.cursors.set(token, { offset, key, issuedAt: Date.now() });
    while (this.cursors.size > MAX_CURSORS) this.cursors.delete(this.cursors.keys().next().value!);
    return token;
  }

  private challenge(): string {
    const auth = this.currentAuth();
    return auth?.basic || !auth?.bearer ? 'Basic realm="scim-demo"' : 'Bearer realm="scim-demo"';
  }

  private setRetryAfter(res: Response): void {
    // HTTP dates have one-second resolution, so two seconds ahead stays in the future after truncation.
    res.set('Retry-After', this.quirks.retryAfterHttpDate ? new Date(Date.now() + 2000).toUTCString() : '1');
  }

  private sendError(res: Response, status: number, detail: string, scimType?: string): void {
    const body = { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
    res
      .status(status)
      .set('Content-Type', this.quirks.plainJsonContentType ? PLAIN_CONTENT_TYPE : `${SCIM_CONTENT_TYPE}; charset=utf-8`)
      .send(JSON.stringify(body));
  }
}

/** Size of one generated user of a huge page, in bytes (fixed, so the body length is known in advance). */
const HUGE_RECORD_PAD = 900;

/**
 * Writes a ListResponse of about `bytes` bytes made of generated users, chunk by chunk and only as
 * fast as the client reads (backpressure), and stops when the client goes away.
 */
function streamHugePage(res: Response, spec: { bytes: number; declareLength?: boolean }): void {
  const record = (i: number) =>
    JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: `huge-${String(i).padStart(9, '0')}`,
      userName: `huge.user.${String(i).padStart(9, '0')}`,
      displayName: 'x'.repeat(HUGE_RECORD_PAD),
    });
  const recordBytes = Buffer.byteLength(record(0));
  const head = (n: number) => `{"schemas":["${LIST_SCHEMA}"],"totalResults":${n},"startIndex":1,"itemsPerPage":${n},"Resources":[`;
  const tail = ']}';
  const count = Math.max(1, Math.floor(spec.bytes / (recordBytes + 1)));
  const total = Buffer.byteLength(head(count)) + count * recordBytes + (count - 1) + tail.length;
  res.status(200).set('Content-Type', `${SCIM_CONTENT_TYPE}; charset=utf-8`);
  if (spec.declareLength) res.set('Content-Length', String(total));
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  res.write(head(count));
  let i = 0;
  const pump = (): void => {
    while (!closed && i < count) {
      // about 64 KiB per write
      const batch: string[] = [];
      for (let n = 0; n < 64 && i < count; n++, i++) batch.push((i === 0 ? '' : ',') + record(i));
      if (!res.write(batch.join(''))) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) res.end(tail);
  };
  pump();
}

/**
 * A record as `attributes=` asks for it (RFC 7644 §3.4.2.5): `schemas` and `id` always, then each
 * named attribute, sub-attribute (`name.givenName`, `emails.value` of every email) or extension
 * attribute (`urn:…:User:department`, or a whole extension by its URN); names are case-insensitive.
 */
function project(record: Json, names: string[]): Json {
  const out: Json = {};
  for (const always of ['schemas', 'id']) if (always in record) out[always] = record[always];
  for (const name of names) {
    const whole = keyOf(record, name);
    if (whole !== undefined) {
      out[whole] = record[whole];
      continue;
    }
    const colon = name.lastIndexOf(':');
    const extension = colon > 0 ? keyOf(record, name.slice(0, colon)) : undefined;
    if (extension !== undefined && record[extension] && typeof record[extension] === 'object') {
      out[extension] = out[extension] ?? {};
      copyPath(record[extension] as Json, name.slice(colon + 1), out[extension] as Json);
    } else {
      // a core attribute may be named by its schema URN
      copyPath(record, colon > 0 ? name.slice(colon + 1) : name, out);
    }
  }
  return out;
}

function copyPath(source: Json, path: string, target: Json): void {
  const dot = path.indexOf('.');
  const key = keyOf(source, dot < 0 ? path : path.slice(0, dot));
  if (key === undefined) return;
  const value = source[key];
  if (dot < 0 || value === null || typeof value !== 'object') {
    target[key] = value;
    return;
  }
  const rest = path.slice(dot + 1);
  if (Array.isArray(value)) {
    const held: Json[] = Array.isArray(target[key]) ? (target[key] as Json[]) : [];
    target[key] = value.map((element, i) => {
      const into = held[i] ?? {};
      if (element && typeof element === 'object') copyPath(element as Json, rest, into);
      return into;
    });
    return;
  }
  const into: Json = target[key] && typeof target[key] === 'object' ? (target[key] as Json) : {};
  copyPath(value as Json, rest, into);
  target[key] = into;
}

function keyOf(record: Json, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(record).find((k) => k.toLowerCase() === lower);
}

/** scimmy's messages are class instances with accessors; rewriting needs their JSON form. */
function toPlain(value: object): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function toInt(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

const NUMERIC = /^\d{1,15}$/;
const asNumber = (v: unknown): unknown => (typeof v === 'string' && NUMERIC.test(v) ? Number(v) : v);

/** ids, member values and group values become JSON numbers when they look numeric. */
function numericIds(resource: Json): Json {
  resource.id = asNumber(resource.id);
  for (const key of ['members', 'groups']) {
    if (Array.isArray(resource[key])) for (const m of resource[key]) if (m && typeof m === 'object') m.value = asNumber(m.value);
  }
  return resource;
}
