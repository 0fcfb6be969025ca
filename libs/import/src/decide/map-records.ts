import { compileRecordMapping, MappingConfigError, stableHash, type CompiledRecordMapping, type RecordMapping, type TargetAttribute } from '@app/mapping';
import type { MapCursor, MapResult, ResourceKind } from '@app/temporal';
import { StagingRepository, type Db, type RunRepository, type TargetStoreRepository } from '@app/persistence';
import { currentActivity, yieldToEventLoop } from '../infrastructure/activity-context';
import { assertStagingIntact } from '../infrastructure/staging-guard';
import { ImportConfigError } from '../errors/import-errors';
import { preparedRun } from '../run-config/prepared-run';
import { sectionFor, type RunConfigSnapshot } from '../run-config/task-config';

export interface MapDeps {
  db: Db;
  runs: RunRepository;
  templates: TargetStoreRepository;
  chunkSize: number;
  timeBudgetMs: number;
}

/** Maps one record of a kind: unique value, mapped attributes and hash, or why it cannot be mapped. */
export type Mapper = (record: Record<string, unknown>, members: string[] | null) =>
  | { ok: true; uniqueValue: string; attributes: Record<string, unknown>; hash: string }
  | { ok: false; reason: string };

/**
 * What a resource's Mapper is compiled from: plain data (JSON-safe), so a worker thread can
 * compile the same Mapper (libs/import/src/extract/page-threads.ts).
 */
export interface MapperConfig {
  kind: ResourceKind;
  templateCode: string;
  mapping: RecordMapping;
  targetAttributes: TargetAttribute[];
  /** the template attribute a group's members go to: members are part of what it pushes */
  membersLocal?: string;
}

/** Reads what each resource kind's mapping is compiled from (its template's attributes); throws ImportConfigError for a task that cannot map. */
export async function mapperConfigs(templates: TargetStoreRepository, snapshot: Pick<RunConfigSnapshot, 'config'>, kinds: ResourceKind[]): Promise<MapperConfig[]> {
  const configs: MapperConfig[] = [];
  for (const kind of kinds) {
    const section = sectionFor(snapshot.config, kind);
    const targetAttributes = await templates.attributes(section.templateCode);
    if (!targetAttributes) throw new ImportConfigError(`template "${section.templateCode}" does not exist`);
    const membersLocal = kind === 'access' ? section.members?.local : undefined;
    if (membersLocal && !targetAttributes.some((a) => a.code === membersLocal)) {
      throw new ImportConfigError(`members attribute "${membersLocal}" is not an attribute of template ${section.templateCode}`);
    }
    configs.push({
      kind,
      templateCode: section.templateCode,
      mapping: { unique: section.unique, attributes: section.attributes as RecordMapping['attributes'] },
      targetAttributes,
      ...(membersLocal ? { membersLocal } : {}),
    });
  }
  return configs;
}

/** Compiles one resource kind's Mapper; a broken mapping throws ImportConfigError. */
export function mapperFor(config: MapperConfig): Mapper {
  const { kind, templateCode, membersLocal } = config;
  let compiled: CompiledRecordMapping;
  try {
    compiled = compileRecordMapping(config.mapping, config.targetAttributes);
  } catch (err) {
    // a broken mapping is the operator's to fix: no retry can help
    if (err instanceof MappingConfigError || (err instanceof Error && err.name === 'MappingExpressionError')) throw new ImportConfigError(`${kind} mapping of template ${templateCode}: ${err.message}`);
    throw err;
  }
  return (record, members) => {
    const result = compiled.map(record);
    if (!result.ok) return { ok: false, reason: result.reason };
    // membership is part of what a group pushes: a changed member list must read as "update"
    const hash = membersLocal ? stableHash({ record: result.hash, members: members ?? [] }) : result.hash;
    return { ok: true, uniqueValue: result.uniqueValue, attributes: result.attributes, hash };
  };
}

/** Compiles the mapping of each resource kind once per activity (extract maps pages with it, the map step what extract left, preview its sample). */
export async function compileMappers(templates: TargetStoreRepository, snapshot: Pick<RunConfigSnapshot, 'config'>, kinds: ResourceKind[]): Promise<Map<string, Mapper>> {
  const mappers = new Map<string, Mapper>();
  for (const kind of kinds) {
    const [config] = await mapperConfigs(templates, snapshot, [kind]);
    mappers.set(kind, mapperFor(config));
  }
  return mappers;
}

/**
 * The map step: maps the staged records extract could not map on the way in (their mapping
 * failed there, or did not compile, or extract ran without templates), in chunks: unique value,
 * mapped attributes and hash per record, decision 'mapped' (diff decides them); a record that
 * cannot be mapped fails alone. Stops after the time budget with a cursor to continue from.
 */
export async function mapRecords(deps: MapDeps, runId: string, cursor: MapCursor = {}): Promise<MapResult> {
  const { db, runs } = deps;
  const staging = new StagingRepository(db, runs);
  const activity = currentActivity();
  const run = await preparedRun(runs, runId);
  await runs.enterPhase(runId, 'map');
  await assertStagingIntact(db, runId, 'map');
  const kinds = [...new Set((await staging.extractedResources(runId)).map((r) => r.resource))];
  const mappers = await compileMappers(deps.templates, run.snapshot, kinds);

  const started = Date.now();
  let after = cursor.afterKey ?? activity.heartbeatDetails<MapCursor>()?.afterKey ?? { resource: '', sourceId: '' };
  let mapped = 0;
  let failed = 0;
  for (;;) {
    activity.throwIfCancelled();
    const rows = await staging.unmappedChunk({ runId, after, limit: deps.chunkSize });
    if (rows.length === 0) {
      // nothing left to map, or nothing staged any more: only the marker tells the two apart
      await assertStagingIntact(db, runId, 'map');
      break;
    }

    const results = rows.map((row) => {
      const mapper = mappers.get(row.resource);
      const out = mapper ? mapper(row.raw, row.members) : { ok: false as const, reason: `no mapping for ${row.resource}` };
      return out.ok
        ? { resource: row.resource, source_id: row.sourceId, unique_value: out.uniqueValue, mapped: out.attributes, hash: out.hash, decision: 'mapped', message: null }
        : { resource: row.resource, source_id: row.sourceId, unique_value: null, mapped: null, hash: null, decision: 'failed', message: out.reason };
    });
    const chunkFailed = results.filter((r) => r.decision === 'failed').length;
    await db.transaction(async (tx) => {
      // one JSON text for both statements
      const resultsJson = JSON.stringify(results);
      await staging.storeMapped({ runId, resultsJson }, tx);
      if (chunkFailed > 0) {
        await runs.recordMapFailures({ rowId: run.rowId, resultsJson }, tx);
        await runs.addStats(runId, { failed: chunkFailed }, tx);
      }
    });
    mapped += results.length - chunkFailed;
    failed += chunkFailed;
    const last = rows[rows.length - 1];
    after = { resource: last.resource, sourceId: last.sourceId };
    activity.heartbeat({ afterKey: after } satisfies MapCursor);
    // mapping is CPU work on the worker's event loop: let heartbeats and other activities through
    await yieldToEventLoop();
    if (Date.now() - started > deps.timeBudgetMs) {
      return { done: false, afterKey: after, mapped, failed, stats: await runs.stats(runId) };
    }
  }
  return { done: true, mapped, failed, stats: await runs.stats(runId) };
}
