import SCIMMY from 'scimmy';

export type ResourceKind = 'User' | 'Group' | 'Device';

export type Json = Record<string, unknown>;

/** A stored resource: SCIM JSON without derived attributes, plus the flattened view filters run against. */
export interface StoredRecord {
  readonly kind: ResourceKind;
  data: Json;
  view: Json;
  revision: number;
}

export interface RecordStamps {
  created: string;
  lastModified: string;
}

type ScimFilter = InstanceType<typeof SCIMMY.Types.Filter>;

const LIST_CACHE_LIMIT = 64;
const KINDS: ResourceKind[] = ['User', 'Group', 'Device'];
/** Attributes the server owns: clients' values for them are ignored on write. */
const SERVER_OWNED = new Set(['id', 'meta', 'schemas', 'groups']);

/** Thrown for conflicts and unknown ids; the SCIM layer maps `status` onto the response. */
export class StoreError extends Error {
  constructor(
    readonly status: 404 | 409 | 400,
    message: string,
    readonly scimType?: string,
  ) {
    super(message);
  }
}

/** In-memory resource store with insertion-ordered maps and a per-version cache of filtered, sorted listings. */
export class DemoStore {
  private readonly records = new Map<ResourceKind, Map<string, StoredRecord>>(KINDS.map((k) => [k, new Map()]));
  private readonly versions = new Map<ResourceKind, number>(KINDS.map((k) => [k, 0]));
  private readonly listCache = new Map<string, { version: number; items: StoredRecord[] }>();
  private readonly userNames = new Map<string, string>();
  /** member id -> ids of the groups it belongs to, so User.groups is derived without scanning groups. */
  private readonly memberOf = new Map<string, Set<string>>();
  private readonly viewOwner = new WeakMap<Json, StoredRecord>();
  private nextId = 100001;
  private lastStamp = 0;

  /** Returns an ISO timestamp strictly later than every one handed out before, so each change is observable. */
  stamp(): string {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  get(kind: ResourceKind, id: string): StoredRecord | undefined {
    return this.records.get(kind)!.get(id);
  }

  ids(kind: ResourceKind): string[] {
    return [...this.records.get(kind)!.keys()];
  }

  size(kind: ResourceKind): number {
    return this.records.get(kind)!.size;
  }

  /** Creates a record; `stamps` lets the seeder use fixed timestamps so sample data is deterministic. */
  create(kind: ResourceKind, attributes: Json, stamps?: RecordStamps): StoredRecord {
    const id = String(this.nextId++);
    const data = this.clean(kind, attributes);
    this.assertUnique(kind, id, data);
    const lastModified = stamps?.lastModified ?? this.stamp();
    const record: StoredRecord = {
      kind,
      revision: 1,
      data: { id, ...data, meta: { created: stamps?.created ?? lastModified, lastModified, version: 'W/"1"' } },
      view: {},
    };
    this.records.get(kind)!.set(id, record);
    this.index(record, undefined);
    return record;
  }

  /** Replaces all client-owned attributes (SCIM PUT semantics). */
  replace(kind: ResourceKind, id: string, attributes: Json): StoredRecord {
    const record = this.require(kind, id);
    const data = this.clean(kind, attributes);
    this.assertUnique(kind, id, data);
    return this.commit(record, { id, ...data });
  }

  /** Shallow-merges top-level attributes; null removes an attribute. */
  merge(kind: ResourceKind, id: string, patch: Json): StoredRecord {
    const record = this.require(kind, id);
    const next: Json = { ...record.data };
    for (const [key, value] of Object.entries(this.clean(kind, patch, true))) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    this.assertUnique(kind, id, next);
    return this.commit(record, next);
  }

  remove(kind: ResourceKind, id: string): void {
    const record = this.require(kind, id);
    this.records.get(kind)!.delete(id);
    this.unindex(record);
    this.bump(kind);
    // Members that disappear leave their groups, which therefore change too.
    const groupIds = [...(this.memberOf.get(id) ?? [])];
    this.memberOf.delete(id);
    for (const groupId of groupIds) {
      const group = this.get('Group', groupId);
      if (!group) continue;
      const members = (group.data.members as Json[]).filter((m) => m.value !== id);
      this.commit(group, { ...group.data, members });
    }
  }

  /**
   * The records of `kind` matching `filter`, sorted with scimmy's ListResponse ordering.
   * Cached per data version so that paging through 10k records filters once, not once per page.
   */
  query(kind: ResourceKind, filter?: ScimFilter, sortBy?: string, sortOrder?: string): StoredRecord[] {
    const version = this.versions.get(kind)!;
    const key = `${kind}\u0000${filter?.expression ?? ''}\u0000${sortBy ?? ''}\u0000${sortOrder ?? ''}`;
    const cached = this.listCache.get(key);
    if (cached && cached.version === version) return cached.items;

    let views = [...this.records.get(kind)!.values()].map((r) => r.view);
    if (filter) views = views.filter((view) => matches(filter, view));
    if (sortBy) {
      views = new SCIMMY.Messages.ListResponse(views as any[], { sortBy, sortOrder, count: views.length } as any)
        .Resources as unknown as Json[];
    }
    const items = views.map((v) => this.viewOwner.get(v)!);
    if (this.listCache.size >= LIST_CACHE_LIMIT) this.listCache.clear();
    this.listCache.set(key, { version, items });
    return items;
  }

  /** The record as a SCIM client sees it: derived attributes (User.groups, member display names) filled in. */
  render(record: StoredRecord): Json {
    // Shallow copy: scimmy coerces into new objects and never writes to what egress returns.
    const data = { ...record.data };
    if (record.kind === 'User') {
      const groups = [...(this.memberOf.get(record.data.id as string) ?? [])]
        .map((gid) => this.get('Group', gid))
        .filter((g): g is StoredRecord => !!g)
        .map((g) => ({ value: g.data.id, display: g.data.displayName, type: 'direct' }));
      if (groups.length) data.groups = groups;
    } else if (record.kind === 'Group' && Array.isArray(data.members)) {
      data.members = (data.members as Json[]).map((m) => ({ ...m, display: this.displayOf(m.value as string) }));
    }
    return data;
  }

  private displayOf(id: string): string | undefined {
    const member = this.get('User', id) ?? this.get('Group', id);
    if (!member) return undefined;
    return (member.data.displayName ?? member.data.userName) as string | undefined;
  }

  private require(kind: ResourceKind, id: string): StoredRecord {
    const record = this.get(kind, id);
    if (!record) throw new StoreError(404, `${kind} ${id} not found`);
    return record;
  }

  private commit(record: StoredRecord, data: Json): StoredRecord {
    const previous = record.data;
    const meta = previous.meta as Json;
    record.revision += 1;
    record.data = { ...data, meta: { created: meta.created, lastModified: this.stamp(), version: `W/"${record.revision}"` } };
    this.index(record, previous);
    return record;
  }

  private index(record: StoredRecord, previous: Json | undefined): void {
    const { data, kind } = record;
    const id = data.id as string;
    if (kind === 'User') {
      if (previous) this.userNames.delete(String(previous.userName).toLowerCase());
      this.userNames.set(String(data.userName).toLowerCase(), id);
    }
    if (kind === 'Group') {
      for (const m of (previous?.members as Json[] | undefined) ?? []) this.memberOf.get(m.value as string)?.delete(id);
      for (const m of (data.members as Json[] | undefined) ?? []) {
        const set = this.memberOf.get(m.value as string) ?? new Set<string>();
        set.add(id);
        this.memberOf.set(m.value as string, set);
      }
    }
    record.view = flattenExtensions(data);
    this.viewOwner.set(record.view, record);
    this.bump(kind);
  }

  private unindex(record: StoredRecord): void {
    const id = record.data.id as string;
    if (record.kind === 'User') this.userNames.delete(String(record.data.userName).toLowerCase());
    if (record.kind === 'Group') {
      for (const m of (record.data.members as Json[] | undefined) ?? []) this.memberOf.get(m.value as string)?.delete(id);
    }
  }

  private bump(kind: ResourceKind): void {
    this.versions.set(kind, this.versions.get(kind)! + 1);
  }

  private assertUnique(kind: ResourceKind, id: string, data: Json): void {
    if (kind !== 'User') return;
    if (typeof data.userName !== 'string' || !data.userName) throw new StoreError(400, 'userName is required', 'invalidValue');
    const holder = this.userNames.get(data.userName.toLowerCase());
    if (holder !== undefined && holder !== id) {
      throw new StoreError(409, `userName "${data.userName}" is already taken`, 'uniqueness');
    }
  }

  /** Drops server-owned attributes and normalises group members to {value, type}. */
  private clean(kind: ResourceKind, attributes: Json, partial = false): Json {
    const out: Json = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (!SERVER_OWNED.has(key) && value !== undefined) out[key] = structuredClone(value);
    }
    if (kind === 'Group' && (!partial || 'members' in out)) {
      const seen = new Set<string>();
      const members: Json[] = [];
      for (const m of (out.members as Json[] | null | undefined) ?? []) {
        const value = String(m.value);
        if (seen.has(value)) continue;
        const type = this.get('Group', value) ? 'Group' : this.get('User', value) ? 'User' : undefined;
        if (!type) throw new StoreError(400, `member ${value} does not exist`, 'invalidValue');
        seen.add(value);
        members.push({ value, type });
      }
      out.members = members;
    }
    return out;
  }
}

/** scimmy's Filter.match throws when a complex attribute in the filter is absent from a record; absent means no match. */
function matches(filter: ScimFilter, view: Json): boolean {
  try {
    return filter.match([view]).length > 0;
  } catch {
    return false;
  }
}

/**
 * scimmy's Filter parses `urn:...:User:department` as one attribute name, so extension attributes are
 * copied to top-level keys with that full name; the record itself stays in SCIM shape.
 */
function flattenExtensions(data: Json): Json {
  const view: Json = { ...data };
  for (const [key, value] of Object.entries(data)) {
    if (!key.startsWith('urn:') || value === null || typeof value !== 'object') continue;
    for (const [attr, attrValue] of Object.entries(value as Json)) view[`${key}:${attr}`] = attrValue;
  }
  return view;
}
