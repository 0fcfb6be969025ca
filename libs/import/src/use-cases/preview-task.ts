import type { DataSource } from 'typeorm';
import { canonicalJson, clearBoundary, evaluatePath } from '@app/mapping';
import type { SecretBox } from '@app/persistence';
import { DEFAULT_MAX_RESPONSE_BYTES, ScimResponseTooLargeError, type ScimClient, type ScimPage } from '@app/scim';
import type { ResourceKind } from '@app/temporal';
import { ConnectorRepository, Db, SightingRepository, TargetStoreRepository } from '@app/persistence';
import { toStaged } from '../extract/extract';
import { chooseProjection } from '../extract/attribute-projection';
import { compileMappers } from '../decide/map-records';
import { duplicateUniqueMessage, listingRejectionMessage } from '../extract/record-messages';
import { defaultScimClientFactory, openScimConnection, type ScimClientFactory } from '../extract/scim-connection';
import { reactivationOf, removalOf, resourcesFor, sectionFor, type MappingsType, type TaskConfig } from '../run-config/task-config';

/** Records read per resource when the caller does not say. */
export const DEFAULT_PREVIEW_LIMIT = 50;
/** The most records a preview reads per resource: it holds them in memory and answers in one response. */
export const MAX_PREVIEW_LIMIT = 1000;

/** A task to preview: saved (its task cache and sightings count) or not (taskId null). */
export interface PreviewRequest {
  taskId: string | null;
  type: 'full' | 'incremental';
  mappingsType: MappingsType;
  connectorId: string;
  config: TaskConfig;
  /** records read per resource, 1..MAX_PREVIEW_LIMIT */
  limit: number;
}

export interface PreviewDeps {
  dataSource: DataSource;
  secretBox: SecretBox;
  scimClientFactory?: ScimClientFactory;
  /** GET /Groups/{id} requests in flight for groups listed without members */
  memberFetchConcurrency?: number;
  now?: () => Date;
  /**
   * Ends the preview early (deadline, caller gone): the SCIM requests in flight are aborted, nothing
   * more is read, and previewTask rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /** Largest SCIM answer the preview reads, in bytes, when below the connector's maxResponseBytes (a preview samples few records). */
  maxResponseBytes?: number;
}

/** Where a card attribute's value came from. */
export interface AttributeSource {
  from: 'external' | 'constant' | 'unique' | 'members';
  /** the SCIM attribute expression (external, unique) */
  expression?: string;
  /** the configured constant (constant; or the fallback of an external expression that found nothing) */
  constant?: unknown;
  /** transform ops applied in order */
  transforms?: string[];
  /** what the expression read from the record, before transforms and coercion (absent: nothing) */
  sourceValue?: unknown;
  /** the expression found nothing and the constant filled in */
  constantUsed?: boolean;
  /** members: how many user members the group lists, and how many resolve to this task's accounts */
  members?: number;
  resolved?: number;
}

export interface PreviewChange {
  attribute: string;
  before: unknown;
  after: unknown;
}

export type PreviewAction = 'create' | 'update' | 'unchanged';

export interface PreviewRecord {
  /** the record's SCIM id (null when the listing could not read one) */
  sourceId: string | null;
  /** its unique value (null when it has none) */
  unique: string | null;
  /** the mapped datacard attributes, as a run would write them */
  card: Record<string, unknown> | null;
  sources: Record<string, AttributeSource>;
  /** what a run would do with it against the current target; null for a record that fails */
  action: PreviewAction | null;
  /** the existing datacard an update or unchanged record matches */
  datacardId?: string;
  /** update: attributes whose value would change */
  changes: PreviewChange[];
  /** why the record would fail, in the words a run records */
  errors: string[];
  /** an update without attribute changes: why it is pushed again */
  reason?: string;
}

export interface PreviewCounts {
  create: number;
  update: number;
  unchanged: number;
  failed: number;
}

export interface PreviewResource {
  kind: ResourceKind;
  path: string;
  filter: string | null;
  /** totalResults as the source reported it (null when it did not) */
  totalResults: number | null;
  /** records read (including those that fail) */
  sampled: number;
  counts: PreviewCounts;
  /** the sample's proportions scaled to totalResults; null when the source reported no total */
  extrapolated: (PreviewCounts & { records: number }) | null;
  records: PreviewRecord[];
}

export interface PreviewResult {
  resources: PreviewResource[];
  /** records a run would read (sum of totalResults; null when a source reported none) */
  extrapolatedRunSize: number | null;
  removals: { reported: false; reason: string; ownedActive: number | null };
  notes: string[];
}

/** The connector's SCIM source could not be read for the preview (message free of secrets). */
export class PreviewSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreviewSourceError';
  }
}

const NO_REMOVALS =
  'a sample cannot prove absence: datacards of this task that the sample did not include are not reported as removals. A dry run (POST /api/v1/tasks/:id/runs {"dryRun": true}) reads everything and computes them';

/**
 * Reads at most `limit` records of each resource of a task from its source and maps them
 * exactly as a run does (the same compiled mappers, listing rules and decision), then says what
 * a run would do with each against the current target. Reads the database, writes nothing.
 */
export async function previewTask(deps: PreviewDeps, request: PreviewRequest): Promise<PreviewResult> {
  const db = Db.fromDataSource(deps.dataSource);
  const store = new TargetStoreRepository(db);
  const specs = resourcesFor(request.mappingsType, request.config);
  const mappers = await compileMappers(new TargetStoreRepository(db), { config: request.config }, specs.map((s) => s.kind));
  const connector = await new ConnectorRepository(db).get(request.connectorId);
  const pageSize = connector?.pageSize ?? 100;
  const limits = previewClientFactory(deps.scimClientFactory ?? defaultScimClientFactory, deps.maxResponseBytes);
  deps.signal?.throwIfAborted();
  const { client, redact } = await openScimConnection(deps.dataSource, deps.secretBox, request.connectorId, limits.factory, { signal: deps.signal });
  const now = (deps.now ?? (() => new Date()))();
  const resources: PreviewResource[] = [];
  const notes: string[] = ['a preview writes nothing: no datacards, links, task cache, sightings, run or staging'];
  try {
    for (const spec of specs) {
      let sample: Sample;
      try {
        // listed as a run lists it: projected when the source reads projected records exactly like whole ones
        const projection = await chooseProjection(client, request.config, spec.kind, spec, connector?.attributeProjection, Math.min(request.limit, pageSize));
        if (projection.note) notes.push(redact(projection.note));
        const membersWanted = projection.attributes === undefined || (spec.kind === 'access' && !!request.config.access?.members?.local);
        sample = await readSample(client, spec.kind, spec.path, spec.filter, request.limit, pageSize, deps.memberFetchConcurrency ?? 8, projection.attributes, membersWanted);
      } catch (err) {
        deps.signal?.throwIfAborted();
        if (err instanceof ScimResponseTooLargeError && limits.capped) {
          throw new PreviewSourceError(
            `reading ${spec.path} from the source failed: an answer is larger than a preview reads (${limits.capped.preview} bytes, PREVIEW_MAX_RESPONSE_BYTES; ` +
              `runs of this connector read up to ${limits.capped.connector} bytes). Preview fewer records (limit), or use a dry run (POST /api/v1/tasks/:id/runs {"dryRun": true})`,
          );
        }
        throw new PreviewSourceError(`reading ${spec.path} from the source failed: ${redact(err instanceof Error ? err.message : String(err))}`);
      }
      deps.signal?.throwIfAborted();
      const mapper = mappers.get(spec.kind);
      const section = sectionFor(request.config, spec.kind);
      const records: PreviewRecord[] = sample.rejected.map((r) => ({
        sourceId: null, unique: null, card: null, sources: {}, action: null, changes: [], errors: [listingRejectionMessage(r.reason, r.excerpt)],
      }));
      const mapped: Array<PreviewRecord & { hash: string }> = [];
      const firstOfUnique = new Map<string, string>();
      // diff keeps the first source id of a repeated unique value: decide in source-id order
      for (const staged of [...sample.records].sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0))) {
        const sources = sourcesOf(section, staged.raw, spec.kind, staged.members);
        const out = mapper ? mapper(staged.raw, staged.members) : { ok: false as const, reason: `no mapping for ${spec.kind}` };
        if (!out.ok) {
          records.push({ sourceId: staged.sourceId, unique: null, card: null, sources, action: null, changes: [], errors: [out.reason] });
          continue;
        }
        const first = firstOfUnique.get(out.uniqueValue);
        if (first !== undefined) {
          records.push({ sourceId: staged.sourceId, unique: out.uniqueValue, card: out.attributes, sources, action: null, changes: [], errors: [duplicateUniqueMessage(out.uniqueValue, first)] });
          continue;
        }
        firstOfUnique.set(out.uniqueValue, staged.sourceId);
        const record = { sourceId: staged.sourceId, unique: out.uniqueValue, card: { ...out.attributes }, sources, action: null, changes: [], errors: [], hash: out.hash };
        mapped.push(record);
        records.push(record);
      }
      const membersLocal = spec.kind === 'access' ? section.members?.local : undefined;
      if (membersLocal) await resolveMembers(new SightingRepository(db), request.taskId, mapped, sample, membersLocal);
      await decide(store, request, spec.kind, section.templateCode, reactivationOf(section) !== undefined, clearBoundary(now, request.config.cache?.clearHoursUtc ?? [0]), mapped);
      for (const r of mapped) delete (r as Partial<typeof r>).hash;

      const counts: PreviewCounts = { create: 0, update: 0, unchanged: 0, failed: 0 };
      for (const r of records) counts[r.action ?? 'failed'] += 1;
      const sampled = records.length;
      resources.push({
        kind: spec.kind,
        path: spec.path,
        filter: spec.filter ?? null,
        totalResults: sample.totalResults,
        sampled,
        counts,
        extrapolated: extrapolate(counts, sampled, sample.totalResults),
        records,
      });
      if (sample.totalResults === null) notes.push(`${spec.path}: the source reported no totalResults, so the run size cannot be extrapolated`);
      else if (sampled < sample.totalResults) notes.push(`${spec.path}: ${sampled} of ${sample.totalResults} records previewed; the counts for the whole run are extrapolated from this sample`);
    }
  } finally {
    await client.close().catch(() => undefined);
  }

  if (request.type === 'incremental') {
    notes.push('an incremental run reads only what changed since its watermark; the preview reads the first records of a full listing');
  }
  const removing = specs.some((s) => removalOf(request.config[s.kind]) !== undefined);
  const ownedActive = request.taskId ? await store.countOwnedActive(request.taskId) : null;
  if (request.type === 'full' && removing) notes.push(`removals are not previewed: ${NO_REMOVALS}`);
  const totals = resources.map((r) => r.totalResults);
  return {
    resources,
    extrapolatedRunSize: totals.every((t) => t !== null) ? totals.reduce<number>((n, t) => n + (t ?? 0), 0) : null,
    removals: { reported: false, reason: request.type === 'full' ? NO_REMOVALS : 'incremental runs never remove', ownedActive },
    notes,
  };
}

/**
 * The SCIM client factory of a preview: answers are read up to `maxResponseBytes` when that is below
 * the connector's own limit (`capped` then says both, for the error of a larger answer).
 */
function previewClientFactory(factory: ScimClientFactory, maxResponseBytes: number | undefined) {
  const limits: { factory: ScimClientFactory; capped?: { preview: number; connector: number } } = { factory };
  if (maxResponseBytes === undefined) return limits;
  limits.factory = (config, options) => {
    const connector = config.maxResponseBytes && config.maxResponseBytes > 0 ? config.maxResponseBytes : DEFAULT_MAX_RESPONSE_BYTES;
    if (connector <= maxResponseBytes) return factory(config, options);
    limits.capped = { preview: maxResponseBytes, connector };
    return factory({ ...config, maxResponseBytes }, options);
  };
  return limits;
}

interface Sample {
  records: Array<{ sourceId: string; raw: Record<string, unknown>; members: string[] | null }>;
  rejected: ScimPage['rejected'];
  totalResults: number | null;
}

/** The first `limit` records of a listing, read with the run's listing rules (dedup, id checks, filter check). */
async function readSample(
  client: ScimClient,
  kind: ResourceKind,
  path: string,
  filter: string | undefined,
  limit: number,
  pageSize: number,
  concurrency: number,
  attributes: string[] | undefined,
  membersWanted: boolean,
): Promise<Sample> {
  const listing = client.listResources(path, { filter, attributes, pageSize: Math.min(limit, pageSize), tailCheck: false });
  const sample: Sample = { records: [], rejected: [], totalResults: null };
  for await (const page of listing.pages()) {
    if (sample.totalResults === null && typeof page.totalResults === 'number') sample.totalResults = page.totalResults;
    const room = limit - sample.records.length - sample.rejected.length;
    const rejected = page.rejected.slice(0, room);
    sample.rejected.push(...rejected);
    const take = page.resources.slice(0, room - rejected.length);
    sample.records.push(...(await toStaged(client, kind, take, concurrency, () => undefined, undefined, membersWanted)));
    // leaving the loop ends the listing: nothing more is requested
    if (sample.records.length + sample.rejected.length >= limit) break;
  }
  return sample;
}

function sourcesOf(section: ReturnType<typeof sectionFor>, raw: Record<string, unknown>, kind: ResourceKind, members: string[] | null): Record<string, AttributeSource> {
  const sources: Record<string, AttributeSource> = {};
  sources[section.unique.local] = { from: 'unique', expression: section.unique.external, ...valueOf(raw, section.unique.external) };
  for (const a of section.attributes) {
    const transforms = (a.transforms ?? []).map((t) => String((t as { op?: unknown }).op));
    if (a.external === undefined) {
      sources[a.local] = { from: 'constant', constant: a.constant, ...(transforms.length ? { transforms } : {}) };
      continue;
    }
    const read = valueOf(raw, a.external);
    sources[a.local] = {
      from: 'external',
      expression: a.external,
      ...(transforms.length ? { transforms } : {}),
      ...read,
      ...(a.constant !== undefined ? { constant: a.constant, constantUsed: read.sourceValue === undefined } : {}),
    };
  }
  if (kind === 'access' && section.members?.local) sources[section.members.local] = { from: 'members', members: members?.length ?? 0, resolved: 0 };
  return sources;
}

function valueOf(raw: Record<string, unknown>, expression: string): { sourceValue?: unknown } {
  try {
    const v = evaluatePath(raw, expression);
    return v === undefined ? {} : { sourceValue: v };
  } catch {
    // a broken expression fails the whole mapping before any record is read
    return {};
  }
}

/**
 * Group members become this task's account datacards the way load resolves them (through the
 * task's sightings). An unsaved task has none yet: its memberships resolve on its first run.
 */
async function resolveMembers(sightings: SightingRepository, taskId: string | null, mapped: PreviewRecord[], sample: Sample, membersLocal: string): Promise<void> {
  const membersOf = new Map(sample.records.map((r) => [r.sourceId, r.members ?? []]));
  const all = [...new Set(mapped.flatMap((r) => membersOf.get(r.sourceId ?? '') ?? []))];
  const cardOf = new Map<string, string>();
  if (taskId && all.length > 0) {
    for (const r of await sightings.accountCardsOf({ taskId, sourceIds: all })) cardOf.set(r.sourceId, r.datacardId);
  }
  for (const r of mapped) {
    const members = membersOf.get(r.sourceId ?? '') ?? [];
    const ids = [...new Set(members.map((m) => cardOf.get(m)).filter((id): id is string => id !== undefined))].sort();
    if (r.card) r.card[membersLocal] = ids;
    r.sources[membersLocal] = { from: 'members', members: members.length, resolved: members.filter((m) => cardOf.has(m)).length };
  }
}

/** The run's decision (decisionSql) for each mapped record, and the attributes an update changes. */
async function decide(
  store: TargetStoreRepository,
  request: PreviewRequest,
  kind: ResourceKind,
  templateCode: string,
  reactivates: boolean,
  boundary: Date,
  mapped: Array<PreviewRecord & { hash: string }>,
): Promise<void> {
  if (mapped.length === 0) return;
  const decisions = await store.previewDecisions(
    mapped.map((r) => ({ sourceId: r.sourceId, uniqueValue: r.unique, hash: r.hash })),
    { templateCode, taskId: request.taskId, kind, reactivates, cacheClearedAt: boundary },
  );
  const bySource = new Map(decisions.map((r) => [r.sourceId, r]));
  for (const r of mapped) {
    const found = bySource.get(r.sourceId ?? '');
    if (!found) continue;
    r.action = found.decision;
    if (found.datacardId) r.datacardId = found.datacardId;
    if (found.decision !== 'update' || !found.attributes || !r.card) continue;
    const before = found.attributes;
    r.changes = Object.keys(r.card)
      .filter((k) => canonicalJson(normalized(before[k])) !== canonicalJson(normalized(r.card?.[k])))
      .map((k) => ({ attribute: k, before: before[k] ?? null, after: r.card?.[k] ?? null }));
    if (r.changes.length === 0) {
      r.reason = found.cacheHash === null
        ? 'no attribute changes; pushed again because this task has not written it yet (no task cache entry)'
        : found.cacheFresh && found.sightedSource !== r.sourceId
          ? 'no attribute changes; pushed again because the source now lists it under another id'
          : 'no attribute changes; pushed again because its task cache entry is older than the latest cache clear';
    }
  }
}

/** Reference lists compare as sets; a missing value and null are the same. */
function normalized(v: unknown): unknown {
  if (v === undefined) return null;
  if (Array.isArray(v) && v.every((e) => typeof e === 'string')) return [...v].sort();
  return v;
}

function extrapolate(counts: PreviewCounts, sampled: number, total: number | null): PreviewResource['extrapolated'] {
  if (total === null) return null;
  if (sampled === 0) return { records: total, create: 0, update: 0, unchanged: 0, failed: 0 };
  const scale = (n: number) => Math.round((n * total) / sampled);
  return { records: total, create: scale(counts.create), update: scale(counts.update), unchanged: scale(counts.unchanged), failed: scale(counts.failed) };
}
