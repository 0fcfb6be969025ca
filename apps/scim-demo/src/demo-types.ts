/** Public types of the demo SCIM server (kept apart so tests and the CLI import them without Express). */

export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface ScimQuirks {
  /** Silently cap `count` to this. */
  maxCount?: number;
  /** The server treats startIndex as 0-based (startIndex=1 skips the first record). */
  zeroBasedStartIndex?: boolean;
  /** itemsPerPage echoes the requested count instead of the number of resources returned. */
  wrongItemsPerPage?: boolean;
  /** totalResults/startIndex/itemsPerPage as strings, and ids (id, members.value, groups.value) as numbers where numeric. */
  numbersAsStrings?: boolean;
  /** Content-Type: application/json; charset=utf-8 instead of application/scim+json. */
  plainJsonContentType?: boolean;
  /** Every Nth request (counted from the last setQuirks) answers 429 with Retry-After: 1. */
  rateLimitEvery?: number;
  /** Retry-After as an HTTP date instead of seconds. */
  retryAfterHttpDate?: boolean;
  /** The next `count` requests answer `status` (e.g. 500 or 503), then normal. */
  errorBurst?: { status: number; count: number };
  /** Listings stop after this many records overall (empty pages after) while totalResults still claims the real total. */
  truncateAfter?: number;
  /** With truncateAfter: also report totalResults = truncateAfter, so a naive client believes the short listing. */
  truncateWrongTotal?: boolean;
  /** startIndex is ignored: every page is served from the first record. */
  ignoreStartIndex?: boolean;
  /** RFC 9865 cursor paging only: `cursor` param, `nextCursor` in responses, startIndex rejected with 400. */
  cursorOnly?: boolean;
  /** The first follow-up cursor request answers 400 scimType expiredCursor. */
  expireCursorOnce?: boolean;
  /** Group listings return no `members`; GET /Groups/{id} still returns them. */
  omitMembersInList?: boolean;
  /** A filter on meta.lastModified answers 400 invalidFilter. */
  noLastModifiedFilter?: boolean;
  /** Filters are silently ignored (everything is returned). */
  ignoreFilter?: boolean;
  /** Listings ignore `attributes=`: whole records come back (excludedAttributes is still honoured). */
  ignoreAttributes?: boolean;
  /** Listings honour `attributes=` for top-level core attributes only: sub-attributes and extension attributes named are silently left out. */
  projectTopLevelOnly?: boolean;
  /** Listings that name `attributes=` answer 400 invalidValue (or 501): the server does not support the parameter. */
  rejectAttributes?: 400 | 501;
  /** Listings that name `attributes=` are served this many times, then answer 400 invalidValue: a source that stops taking the parameter mid-read. */
  rejectAttributesAfter?: number;
  /** With cursorOnly: the status a startIndex request gets (400 invalidValue by default; RFC 9865 also allows 501). */
  rejectStartIndexStatus?: 400 | 501;
  /** Listings carry no totalResults: a source that never says how many records it holds (RFC 7644 requires it; some servers leave it out). */
  omitTotalResults?: boolean;
  /** Listing requests (GET /Users, /Groups, /Devices and POST .search) answer after this many ms: a slow or, with a large value, a stalled source. */
  listLatencyMs?: number;
  /**
   * Listing requests stream a ListResponse of about this many bytes of generated users, produced
   * while it is sent (the server never holds it in memory). `declareLength` sends an exact
   * Content-Length instead of chunked encoding.
   */
  hugePage?: { bytes: number; declareLength?: boolean };
  /**
   * Every request answers `status` with a SCIM error whose detail, and a response header
   * `X-Echo-Authorization`, repeat the request's Authorization header: a server that leaks the
   * credentials it was sent.
   */
  echoAuthorization?: { status: number };
}

export interface ScimDemoAuth {
  basic?: { username: string; password: string };
  bearer?: string;
}

export interface ScimDemoSeed {
  users: number;
  groups: number;
  /** Group memberships per user (default 2, capped at the number of groups). */
  membersPerUser?: number;
  devices?: number;
}

export interface ScimDemoServerOptions {
  /** 0 / undefined = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default '/scim/v2'. */
  basePath?: string;
  /** Either or both schemes are accepted; none = open. */
  auth?: ScimDemoAuth;
  /** Deterministic sample data. */
  seed?: ScimDemoSeed;
  quirks?: ScimQuirks;
}

export interface ScimMultiValue {
  value: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

export interface EnterpriseUserExtension {
  employeeNumber?: string;
  costCenter?: string;
  organization?: string;
  division?: string;
  department?: string;
  manager?: { value: string; displayName?: string; $ref?: string };
}

/** A user as the admin API accepts it: SCIM core attributes plus the enterprise extension under its URN. */
export interface ScimUserInput {
  userName: string;
  externalId?: string;
  name?: { givenName?: string; familyName?: string; middleName?: string; formatted?: string };
  displayName?: string;
  nickName?: string;
  title?: string;
  userType?: string;
  preferredLanguage?: string;
  locale?: string;
  timezone?: string;
  active?: boolean;
  emails?: ScimMultiValue[];
  phoneNumbers?: ScimMultiValue[];
  [ENTERPRISE_USER_SCHEMA]?: EnterpriseUserExtension;
  [attribute: string]: unknown;
}

export interface ScimDemoAdmin {
  addUser(u: Partial<ScimUserInput>): Promise<{ id: string }>;
  /** Shallow merge of top-level attributes; a null value removes the attribute. */
  updateUser(id: string, patch: Record<string, unknown>): Promise<void>;
  deleteUser(id: string): Promise<void>;
  addGroup(g: { displayName: string; memberIds?: string[] }): Promise<{ id: string }>;
  updateGroup(id: string, patch: { displayName?: string; memberIds?: string[] }): Promise<void>;
  deleteGroup(id: string): Promise<void>;
  listUserIds(): string[];
  listGroupIds(): string[];
  getUser(id: string): Record<string, unknown> | undefined;
}

export interface ScimDemoServer {
  /** e.g. http://127.0.0.1:PORT/scim/v2 */
  url: string;
  close(): Promise<void>;
  /** Total HTTP requests received (including those answered by failure quirks). */
  requestCount(): number;
  /** `METHOD /path?query` of the requests received, oldest first (the last 10,000). */
  requestLog(): string[];
  /** Replace quirks at runtime (also resets the quirk counters). */
  setQuirks(q: ScimQuirks): void;
  setAuth(a: ScimDemoServerOptions['auth']): void;
  /** Direct data manipulation for tests; every change updates meta.lastModified. */
  admin: ScimDemoAdmin;
}
