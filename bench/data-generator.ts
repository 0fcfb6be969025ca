/**
 * Deterministic benchmark data: users and groups computed on demand from their index, the seed
 * and the mutation rounds applied so far. Nothing per record is kept in memory, so a million
 * users cost the same memory as a thousand; only the indexes of deleted users are stored
 * (1% of N), because index paging over a set with holes needs them.
 */
import { jsonOfParts, type JsonParts } from './scim-projection';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** The generic resource the benchmark serves at /Devices (the demo source's Device schema id). */
export const DEVICE_SCHEMA = 'urn:example:scim:schemas:Device';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Users' creation times start here, one minute apart: every base lastModified lies years in the past. */
const BASE_TIME_MS = Date.UTC(2020, 0, 1);
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const GIVEN_NAMES = [
  'Aino', 'Eero', 'Maria', 'Juhani', 'Olivia', 'Mateo', 'Sofia', 'Liam', 'Emma', 'Noah', 'Ava', 'Lucas', 'Mia', 'Elias',
  'Amelia', 'Leo', 'Isla', 'Oskari', 'Hanna', 'Viktor', 'Chloe', 'Arjun', 'Priya', 'Kenji', 'Yuki', 'Fatima', 'Omar',
  'Ingrid', 'Lars', 'Camille', 'Hugo', 'Zara', 'Mikael', 'Nora', 'Felix', 'Ella', 'Aleksi', 'Laura', 'Daniel', 'Sara',
];
const FAMILY_NAMES = [
  'Virtanen', 'Korhonen', 'Nieminen', 'Smith', 'Johnson', 'Garcia', 'Martinez', 'Brown', 'Muller', 'Schmidt', 'Rossi',
  'Bianchi', 'Dubois', 'Laurent', 'Tanaka', 'Suzuki', 'Patel', 'Sharma', 'Kim', 'Lee', 'Nguyen', 'Andersson', 'Hansen',
  'Johansson', 'Kowalski', 'Novak', 'Silva', 'Santos', 'Oconnor', 'Murphy', 'Lehtonen', 'Makela', 'Hamalainen', 'Fischer',
];
const TITLES = [
  'Software Engineer', 'Senior Software Engineer', 'Staff Engineer', 'Engineering Manager', 'Product Manager',
  'Data Analyst', 'Data Scientist', 'Account Executive', 'Customer Success Manager', 'Support Specialist',
  'HR Business Partner', 'Recruiter', 'Financial Controller', 'Accountant', 'Legal Counsel', 'Office Manager',
  'Marketing Specialist', 'Content Designer', 'UX Researcher', 'Security Analyst', 'Site Reliability Engineer',
  'IT Administrator', 'Procurement Officer', 'Sales Director', 'Operations Lead', 'Quality Engineer', 'Architect',
];
const DEPARTMENTS = [
  'Engineering', 'Product', 'Sales', 'Marketing', 'Customer Success', 'Support', 'Finance', 'Human Resources', 'Legal',
  'Operations', 'IT', 'Security', 'Procurement', 'Research', 'Facilities', 'Data',
];
const DIVISIONS = ['Platform', 'Applications', 'Commercial', 'Corporate', 'Infrastructure', 'Growth'];
const ORGANIZATIONS = ['Example Corp', 'Example Corp Finland Oy', 'Example Corp GmbH', 'Example Corp Inc.'];
const GROUP_ROLES = ['readers', 'writers', 'admins', 'approvers', 'auditors', 'operators', 'owners', 'viewers'];
const DEVICE_MODELS: Array<{ model: string; manufacturer: string; platform: string; prefix: string }> = [
  { model: 'Latitude 7440', manufacturer: 'Dell', platform: 'Windows', prefix: 'DL' },
  { model: 'ThinkPad X1 Carbon', manufacturer: 'Lenovo', platform: 'Windows', prefix: 'LN' },
  { model: 'MacBook Pro 14', manufacturer: 'Apple', platform: 'macOS', prefix: 'C0' },
  { model: 'iPhone 15', manufacturer: 'Apple', platform: 'iOS', prefix: 'F1' },
  { model: 'Pixel 8', manufacturer: 'Google', platform: 'Android', prefix: 'GP' },
  { model: 'EliteBook 840', manufacturer: 'HP', platform: 'Windows', prefix: 'HP' },
  { model: 'XPS 13', manufacturer: 'Dell', platform: 'Linux', prefix: 'DX' },
];
const GROUP_APPS = ['erp', 'crm', 'hr', 'wiki', 'vpn', 'git', 'ci', 'jira', 'mail', 'bi', 'vault', 'cloud', 'payroll'];
const OFFICES: Array<{ street: string; locality: string; region: string; postalCode: string; country: string; phone: string }> = [
  { street: 'Mannerheimintie', locality: 'Helsinki', region: 'Uusimaa', postalCode: '00100', country: 'FI', phone: '+358 9' },
  { street: 'Hameenkatu', locality: 'Tampere', region: 'Pirkanmaa', postalCode: '33100', country: 'FI', phone: '+358 3' },
  { street: 'Friedrichstrasse', locality: 'Berlin', region: 'Berlin', postalCode: '10117', country: 'DE', phone: '+49 30' },
  { street: 'Rue de Rivoli', locality: 'Paris', region: 'Ile-de-France', postalCode: '75001', country: 'FR', phone: '+33 1' },
  { street: 'Market Street', locality: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US', phone: '+1 415' },
  { street: 'Broadway', locality: 'New York', region: 'NY', postalCode: '10012', country: 'US', phone: '+1 212' },
  { street: 'Baker Street', locality: 'London', region: 'England', postalCode: 'NW1 6XE', country: 'GB', phone: '+44 20' },
  { street: 'Drottninggatan', locality: 'Stockholm', region: 'Stockholm', postalCode: '11151', country: 'SE', phone: '+46 8' },
];

/** Finaliser of MurmurHash3: a fast, well-mixed 32-bit hash that needs no state. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 32-bit hash of (seed, salt, i); every attribute of a record draws from its own salt. */
function hash(seed: number, salt: number, i: number): number {
  return mix32((i ^ mix32(seed ^ Math.imul(salt + 1, 0x9e3779b9))) >>> 0);
}

function pick<T>(list: readonly T[], h: number): T {
  return list[h % list.length];
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** The variant nibble of an id: users (a), groups (b), devices (9). */
type IdKind = 'a' | 'b' | '9';

/**
 * A UUID whose first 12 hex digits are the index, so ids sort like indexes (as time-ordered
 * UUIDv7 ids do) and a page can be found from an id; the rest is hashed so ids look random.
 * The variant nibble tells users (a), groups (b) and devices (9) apart.
 */
function orderedUuid(seed: number, kind: IdKind, i: number): string {
  const head = hex(i, 12);
  const salt = kind === 'a' ? 101 : kind === 'b' ? 201 : 301;
  const h1 = hash(seed, salt, i);
  const h2 = hash(seed, salt + 1, i);
  const h3 = hash(seed, salt + 2, i);
  return `${head.slice(0, 8)}-${head.slice(8)}-4${hex(h1 & 0xfff, 3)}-${kind}${hex((h1 >>> 12) & 0xfff, 3)}-${hex(h2, 8)}${hex(h3 & 0xffff, 4)}`;
}

/** Index of an id made by orderedUuid, or undefined when it is not one of this kind. */
function indexOfUuid(id: string, kind: IdKind): number | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-4[0-9a-f]{3}-([ab9])[0-9a-f]{3}-[0-9a-f]{12}$/.exec(id);
  if (!m || m[3] !== kind) return undefined;
  return parseInt(m[1] + m[2], 16);
}

export interface DataSetSpec {
  users: number;
  groups: number;
  /** group memberships per user (5 in the benchmark) */
  membershipsPerUser: number;
  seed: number;
  /** generic resources served at /Devices (none unless given) */
  devices?: number;
}

/** One applied mutation: a deterministic share of users changed or deleted at `at`. */
export interface MutationRound {
  kind: 'change' | 'delete';
  /** share of users in basis points (100 = 1%) */
  basisPoints: number;
  /** the salt choosing this round's users; distinct per round so rounds pick different users */
  salt: number;
  /** the lastModified stamped on what this round touched */
  at: number;
}

export type ScimObject = Record<string, unknown>;

/** The attributes the benchmark task maps, as they land in the target: the load-only bound copies these. */
export interface MappedRow {
  uniqueValue: string;
  attributes: Record<string, unknown>;
}

/**
 * The source's data: users 0..N-1 minus the deleted ones, groups 0..G-1. Records are pure
 * functions of (seed, index, rounds); mutating means appending a round.
 */
export class BenchDataSet {
  private readonly rounds: MutationRound[] = [];
  /** sorted indexes of deleted users */
  private deleted = new Int32Array(0);
  /** deleted user index -> when it was deleted (the groups that lost it changed then) */
  private readonly deletedAt = new Map<number, number>();
  /** group index -> latest time one of its members was deleted */
  private readonly groupChangedAt = new Map<number, number>();
  private readonly stride: number;
  private readonly memberships: number;
  private nextSalt = 1000;

  constructor(
    readonly spec: DataSetSpec,
    /** base URL put into meta.location and member $ref, as a real server would */
    private locationBase = 'http://localhost/scim/v2',
  ) {
    if (!Number.isInteger(spec.users) || spec.users < 0) throw new RangeError('users must be a non-negative integer');
    if (!Number.isInteger(spec.groups) || spec.groups < 0) throw new RangeError('groups must be a non-negative integer');
    if (spec.users >= 2 ** 31) throw new RangeError('at most 2^31-1 users');
    if (spec.devices !== undefined && (!Number.isInteger(spec.devices) || spec.devices < 0)) throw new RangeError('devices must be a non-negative integer');
    this.memberships = Math.min(spec.membershipsPerUser, spec.groups);
    // user i belongs to groups i, i+stride, i+2*stride, ... (mod G): distinct while memberships <= G
    this.stride = this.memberships > 0 ? Math.max(1, Math.floor(spec.groups / this.memberships)) : 1;
  }

  setLocationBase(url: string): void {
    this.locationBase = url.replace(/\/+$/, '');
  }

  get appliedRounds(): readonly MutationRound[] {
    return this.rounds;
  }

  get liveUserCount(): number {
    return this.spec.users - this.deleted.length;
  }

  get groupCount(): number {
    return this.spec.groups;
  }

  /** Devices never change: the shape scenarios import them once. */
  get deviceCount(): number {
    return this.spec.devices ?? 0;
  }

  /** Memberships the groups list right now (deleted users are no longer members). */
  get liveMembershipCount(): number {
    return this.liveUserCount * this.memberships;
  }

  // ---- mutations ----------------------------------------------------------------------------

  /** Changes a deterministic ~basisPoints/10000 of the live users (title, phone, lastModified). */
  applyChange(basisPoints: number, at: number = Date.now()): number {
    const round: MutationRound = { kind: 'change', basisPoints, salt: this.nextSalt++, at };
    this.rounds.push(round);
    let n = 0;
    for (let i = 0; i < this.spec.users; i++) if (this.selects(round, i) && !this.isDeleted(i)) n++;
    return n;
  }

  /** Deletes a deterministic ~basisPoints/10000 of the live users; their groups change at `at`. */
  applyDelete(basisPoints: number, at: number = Date.now()): number {
    const round: MutationRound = { kind: 'delete', basisPoints, salt: this.nextSalt++, at };
    this.rounds.push(round);
    const fresh: number[] = [];
    for (let i = 0; i < this.spec.users; i++) {
      if (this.selects(round, i) && !this.deletedAt.has(i)) {
        fresh.push(i);
        this.deletedAt.set(i, at);
        for (const g of this.groupsOfUser(i)) this.groupChangedAt.set(g, Math.max(this.groupChangedAt.get(g) ?? 0, at));
      }
    }
    const merged = Int32Array.from([...this.deleted, ...fresh]);
    merged.sort();
    this.deleted = merged;
    return fresh.length;
  }

  private selects(round: MutationRound, i: number): boolean {
    return hash(this.spec.seed, round.salt, i) % 10_000 < round.basisPoints;
  }

  isDeleted(i: number): boolean {
    return this.deletedAt.has(i);
  }

  /** Deleted users with index <= i. */
  private deletedUpTo(i: number): number {
    let lo = 0;
    let hi = this.deleted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.deleted[mid] <= i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---- listing ------------------------------------------------------------------------------

  /**
   * User indexes at live positions [from, from+count) in index order, skipping deleted users.
   * The first live index is found by binary search (live users <= i is monotonic in i).
   */
  liveUserIndexes(from: number, count: number): number[] {
    const out: number[] = [];
    if (from >= this.liveUserCount || count <= 0) return out;
    let lo = from;
    let hi = Math.min(this.spec.users - 1, from + this.deleted.length);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (mid + 1 - this.deletedUpTo(mid) >= from + 1) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < this.spec.users && out.length < count; i++) if (!this.deletedAt.has(i)) out.push(i);
    return out;
  }

  /** Live users whose lastModified is after `since`, in index order (incremental reads). */
  userIndexesModifiedAfter(since: number): number[] {
    const changeRounds = this.rounds.filter((r) => r.kind === 'change' && r.at > since);
    if (changeRounds.length === 0) return [];
    const out: number[] = [];
    for (let i = 0; i < this.spec.users; i++) {
      if (this.deletedAt.has(i)) continue;
      if (changeRounds.some((r) => this.selects(r, i))) out.push(i);
    }
    return out;
  }

  /** Groups whose lastModified is after `since` (they lost a member then), in index order. */
  groupIndexesModifiedAfter(since: number): number[] {
    const out: number[] = [];
    for (const [g, at] of this.groupChangedAt) if (at > since) out.push(g);
    return out.sort((a, b) => a - b);
  }

  groupsOfUser(i: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.memberships; j++) out.push((i + j * this.stride) % this.spec.groups);
    return out;
  }

  /** Live member indexes of group g, ascending. */
  membersOfGroup(g: number): number[] {
    const out: number[] = [];
    const G = this.spec.groups;
    for (let j = 0; j < this.memberships; j++) {
      const first = (((g - j * this.stride) % G) + G) % G;
      for (let i = first; i < this.spec.users; i += G) if (!this.deletedAt.has(i)) out.push(i);
    }
    return out.sort((a, b) => a - b);
  }

  /** Devices whose lastModified is after `since`, in index order. */
  deviceIndexesModifiedAfter(since: number): number[] {
    const out: number[] = [];
    for (let d = 0; d < this.deviceCount; d++) if (this.deviceLastModified(d) > since) out.push(d);
    return out;
  }

  deviceIndexOfId(id: string): number | undefined {
    const d = indexOfUuid(id, '9');
    return d !== undefined && d < this.deviceCount ? d : undefined;
  }

  userIndexOfId(id: string): number | undefined {
    const i = indexOfUuid(id, 'a');
    return i !== undefined && i < this.spec.users && !this.deletedAt.has(i) ? i : undefined;
  }

  groupIndexOfId(id: string): number | undefined {
    const g = indexOfUuid(id, 'b');
    return g !== undefined && g < this.spec.groups ? g : undefined;
  }

  // ---- records ------------------------------------------------------------------------------

  userId(i: number): string {
    return orderedUuid(this.spec.seed, 'a', i);
  }

  groupId(g: number): string {
    return orderedUuid(this.spec.seed, 'b', g);
  }

  /** How many change rounds picked user i, and when the last one did. */
  private versionOf(i: number): { version: number; modifiedAt?: number } {
    let version = 0;
    let modifiedAt: number | undefined;
    for (const r of this.rounds) {
      if (r.kind === 'change' && this.selects(r, i)) {
        version++;
        modifiedAt = r.at;
      }
    }
    return { version, modifiedAt };
  }

  private names(i: number) {
    const seed = this.spec.seed;
    const given = pick(GIVEN_NAMES, hash(seed, 1, i));
    const family = pick(FAMILY_NAMES, hash(seed, 2, i));
    const login = `${given}.${family}.${i}`.toLowerCase();
    return { given, family, login };
  }

  /** The values of user i; a version bump (change round) changes title, work phone and meta. */
  userFields(i: number) {
    const seed = this.spec.seed;
    const { version, modifiedAt } = this.versionOf(i);
    const { given, family, login } = this.names(i);
    const created = BASE_TIME_MS + i * MINUTE_MS;
    const managerIndex = i > 0 ? Math.floor((i - 1) / 8) : undefined;
    return {
      id: this.userId(i),
      employeeNumber: String(100_000 + i),
      given,
      family,
      login,
      version,
      office: pick(OFFICES, hash(seed, 4, i)),
      department: pick(DEPARTMENTS, hash(seed, 5, i)),
      title: TITLES[(hash(seed, 6, i) + version) % TITLES.length],
      created,
      lastModified: modifiedAt ?? created + (hash(seed, 7, i) % 300) * DAY_MS,
      workPhone: String((hash(seed, 8, i) + version * 7919) % 10_000_000).padStart(7, '0'),
      mobilePhone: String(hash(seed, 13, i) % 10_000_000).padStart(7, '0'),
      street: 1 + (hash(seed, 14, i) % 120),
      costCenter: 1000 + (hash(seed, 9, i) % 400),
      organization: pick(ORGANIZATIONS, hash(seed, 10, i)),
      division: pick(DIVISIONS, hash(seed, 11, i)),
      active: hash(seed, 12, i) % 50 !== 0,
      manager: managerIndex === undefined ? undefined : { id: this.userId(managerIndex), ...this.names(managerIndex) },
    };
  }

  /**
   * User i as SCIM JSON text, about 1.2 KB, with the enterprise extension. Written as a template
   * rather than JSON.stringify of an object because the source must outrun the importer: every
   * interpolated value is generated ASCII without quotes or backslashes, so none needs escaping.
   */
  userJson(i: number): string {
    return jsonOfParts(this.userParts(i));
  }

  /** User i's top-level attributes, each as [name, JSON text of its value] (userJson joins them; the fixture projects them). */
  userParts(i: number): JsonParts {
    const u = this.userFields(i);
    const o = u.office;
    const manager = u.manager
      ? `,"manager":{"value":"${u.manager.id}","displayName":"${u.manager.given} ${u.manager.family}"}`
      : '';
    return [
      ['schemas', `["${CORE_USER}","${ENTERPRISE_USER}"]`],
      ['id', `"${u.id}"`],
      ['externalId', `"hr-${u.employeeNumber}"`],
      ['userName', `"${u.login}@example.com"`],
      ['name', `{"formatted":"${u.given} ${u.family}","familyName":"${u.family}","givenName":"${u.given}"}`],
      ['displayName', `"${u.given} ${u.family}"`],
      ['title', `"${u.title}"`],
      ['userType', '"Employee"'],
      ['active', `${u.active}`],
      ['emails', `[{"value":"${u.login}@example.com","type":"work","primary":true},{"value":"${u.login}@home.example.org","type":"home"}]`],
      ['phoneNumbers', `[{"value":"${o.phone} ${u.workPhone}","type":"work"},{"value":"+358 40 ${u.mobilePhone}","type":"mobile"}]`],
      [
        'addresses',
        `[{"type":"work","streetAddress":"${o.street} ${u.street}","locality":"${o.locality}","region":"${o.region}",` +
          `"postalCode":"${o.postalCode}","country":"${o.country}","primary":true}]`,
      ],
      [
        ENTERPRISE_USER,
        `{"employeeNumber":"${u.employeeNumber}","costCenter":"CC-${u.costCenter}","organization":"${u.organization}",` +
          `"division":"${u.division}","department":"${u.department}"${manager}}`,
      ],
      [
        'meta',
        `{"resourceType":"User","created":"${isoOf(u.created)}","lastModified":"${isoOf(u.lastModified)}",` +
          `"location":"${this.locationBase}/Users/${u.id}","version":"W/\\"${u.version}\\""}`,
      ],
    ];
  }

  /** User i as an object (single-resource reads, tests). */
  user(i: number): ScimObject {
    return JSON.parse(this.userJson(i)) as ScimObject;
  }

  /** Group g as SCIM JSON text, with its live members unless excluded (excludedAttributes=members). */
  groupJson(g: number, withMembers = true): string {
    return jsonOfParts(this.groupParts(g, withMembers));
  }

  /** Group g's top-level attributes as [name, JSON text] (see userParts). */
  groupParts(g: number, withMembers = true): JsonParts {
    const seed = this.spec.seed;
    const id = this.groupId(g);
    const created = BASE_TIME_MS + g * 3_600_000;
    const changedAt = this.groupChangedAt.get(g);
    const lastModified = changedAt ?? created + (hash(seed, 20, g) % 300) * DAY_MS;
    const parts: JsonParts = [
      ['schemas', `["${CORE_GROUP}"]`],
      ['id', `"${id}"`],
      ['externalId', `"grp-${g}"`],
      ['displayName', `"${this.groupName(g)}"`],
    ];
    if (withMembers) {
      const refs = this.membersOfGroup(g).map((i) => {
        const userId = this.userId(i);
        const display = `${pick(GIVEN_NAMES, hash(seed, 1, i))} ${pick(FAMILY_NAMES, hash(seed, 2, i))}`;
        return `{"value":"${userId}","$ref":"${this.locationBase}/Users/${userId}","display":"${display}","type":"User"}`;
      });
      parts.push(['members', `[${refs.join(',')}]`]);
    }
    parts.push([
      'meta',
      `{"resourceType":"Group","created":"${isoOf(created)}","lastModified":"${isoOf(lastModified)}",` +
        `"location":"${this.locationBase}/Groups/${id}","version":"W/\\"${changedAt === undefined ? 0 : 1}\\""}`,
    ]);
    return parts;
  }

  group(g: number, withMembers = true): ScimObject {
    return JSON.parse(this.groupJson(g, withMembers)) as ScimObject;
  }

  deviceId(d: number): string {
    return orderedUuid(this.spec.seed, '9', d);
  }

  private deviceCreated(d: number): number {
    return BASE_TIME_MS + d * MINUTE_MS;
  }

  private deviceLastModified(d: number): number {
    return this.deviceCreated(d) + (hash(this.spec.seed, 30, d) % 300) * DAY_MS;
  }

  /** The values of device d; its owner is user d/2 (a reference, whether or not the source lists users). */
  deviceFields(d: number) {
    const seed = this.spec.seed;
    const spec = pick(DEVICE_MODELS, hash(seed, 31, d));
    const ownerIndex = Math.floor(d / 2);
    const owner = this.names(ownerIndex);
    const mobile = spec.platform === 'iOS' || spec.platform === 'Android';
    return {
      id: this.deviceId(d),
      serialNumber: `${spec.prefix}${hex(hash(seed, 32, d), 8).toUpperCase()}${String(d).padStart(7, '0')}`,
      displayName: `${mobile ? 'PHONE' : 'LAPTOP'}-${String(d + 1).padStart(7, '0')}`,
      model: spec.model,
      manufacturer: spec.manufacturer,
      platform: spec.platform,
      status: hash(seed, 33, d) % 23 === 0 ? 'retired' : 'active',
      ownerId: this.userId(ownerIndex),
      ownerDisplay: `${owner.given} ${owner.family}`,
      created: this.deviceCreated(d),
      lastModified: this.deviceLastModified(d),
    };
  }

  /** Device d as SCIM JSON text (about 0.6 KB); like userJson, a template of unescaped ASCII values. */
  deviceJson(d: number): string {
    return jsonOfParts(this.deviceParts(d));
  }

  /** Device d's top-level attributes as [name, JSON text] (see userParts). */
  deviceParts(d: number): JsonParts {
    const v = this.deviceFields(d);
    return [
      ['schemas', `["${DEVICE_SCHEMA}"]`],
      ['id', `"${v.id}"`],
      ['externalId', `"asset-${d}"`],
      ['serialNumber', `"${v.serialNumber}"`],
      ['displayName', `"${v.displayName}"`],
      ['model', `"${v.model}"`],
      ['manufacturer', `"${v.manufacturer}"`],
      ['platform', `"${v.platform}"`],
      ['status', `"${v.status}"`],
      ['owner', `{"value":"${v.ownerId}","display":"${v.ownerDisplay}","$ref":"${this.locationBase}/Users/${v.ownerId}"}`],
      [
        'meta',
        `{"resourceType":"Device","created":"${isoOf(v.created)}","lastModified":"${isoOf(v.lastModified)}",` +
          `"location":"${this.locationBase}/Devices/${v.id}","version":"W/\\"0\\""}`,
      ],
    ];
  }

  groupName(g: number): string {
    const seed = this.spec.seed;
    return `${pick(GROUP_APPS, hash(seed, 21, g))}-${pick(GROUP_ROLES, hash(seed, 22, g))}-${g}`;
  }

  // ---- what the target holds (load-only lower bound) ----------------------------------------

  /** The account row the benchmark task's mapping produces for user i. */
  mappedUser(i: number): MappedRow {
    const u = this.userFields(i);
    return {
      uniqueValue: u.id,
      attributes: {
        scimId: u.id,
        login: `${u.login}@example.com`,
        email: `${u.login}@example.com`,
        firstName: u.given,
        lastName: u.family,
        displayName: `${u.given} ${u.family}`,
        title: u.title,
        department: u.department,
        employeeNumber: u.employeeNumber,
        active: u.active,
      },
    };
  }

  /** The device row the shape scenario's generic mapping produces for device d (see bench-task.ts). */
  mappedDevice(d: number): MappedRow {
    const v = this.deviceFields(d);
    return {
      uniqueValue: v.serialNumber,
      attributes: {
        serial: v.serialNumber,
        name: v.displayName,
        model: v.model,
        manufacturer: v.manufacturer,
        platform: v.platform,
        status: v.status,
        owner: v.ownerId,
      },
    };
  }

  /** The entitlement row for group g; members are the datacard ids of its member accounts. */
  mappedGroup(g: number, datacardIdOfUser: (i: number) => string): MappedRow {
    const id = this.groupId(g);
    return { uniqueValue: id, attributes: { scimId: id, name: this.groupName(g), members: this.membersOfGroup(g).map(datacardIdOfUser) } };
  }
}
