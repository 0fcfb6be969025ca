/** The benchmark's report: bench/results/latest.json and the markdown tables printed at the end. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { ProfileSummary } from './cpu-profile-summary';
import { describeConcurrency, describeListingQuery } from './import-request';
import type { LowerBounds } from './lower-bounds';
import type { BenchOptions } from './options';
import type { NoChangeRepeats, ScenarioResult } from './scenarios';
import { describeShapeData, type ShapeResult } from './shapes';
import { SIZED_TABLES } from './pg-metrics';
import {
  SHAPE_RATIO_LIMIT,
  TARGETS,
  WORKER_RSS_LIMIT_MB,
  checkShapeBar,
  describeCheck,
  describeGrowthCheck,
  describeGrowthTarget,
  describeShapeBar,
  describeTarget,
  type DatabaseGrowthCheck,
  type ScenarioTarget,
} from './targets';

/** The targets of issue 16 (targets.ts) and the worker-memory one; each scenario carries its own check. */
export interface TargetsReport {
  issue: 16;
  byScenario: Record<string, ScenarioTarget>;
  workerRssLimitMb: number;
  /** highest worker RSS over all scenarios that ran */
  workerPeakRssMb?: number;
  workerRssMet?: boolean;
  /** issue 23: the database grows by less than the limit over repeated no-change runs (--repeat-no-change) */
  databaseGrowth?: DatabaseGrowthCheck;
  /** issue 20: no shape's ratio to its own bound more than `limit` times scenario 1's (each shape carries its own check) */
  shapes?: {
    limit: number;
    /** scenario 1's wall / bound, when it succeeded */
    referenceRatio?: number;
    /** every shape measured and within the limit (undefined without a reference) */
    met?: boolean;
    /** highest worker RSS over the shapes (each its own worker) */
    workerPeakRssMb?: number;
    workerRssMet?: boolean;
  };
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  options: Omit<BenchOptions, 'output'>;
  environment: { node: string; cpus: number; cpuModel: string; memoryGb: number; postgresDurable: boolean; loadAverageAtStart: number[] };
  source: { users: number; groups: number; memberships: number; userJsonBytesAvg: number; groupJsonBytesAvg: number };
  lowerBounds: LowerBounds;
  /** the worker's RSS once started, before any run */
  workerRssAtStartBytes?: number;
  scenarios: ScenarioResult[];
  /** scenario 2 run again right after it, with the database size after each (--repeat-no-change) */
  noChangeRepeats?: NoChangeRepeats;
  /** the shape scenarios (shapes.ts), each with its own source, fresh database and bound */
  shapes?: ShapeResult[];
  /** hotspots of the worker's CPU profiles (--profile-worker) */
  workerProfiles?: ProfileSummary[];
  targets: TargetsReport;
  /** set when the benchmark stopped early */
  error?: string;
}

const MB = 2 ** 20;

export function environmentInfo(postgresDurable: boolean, loadAverageAtStart: number[]): BenchReport['environment'] {
  const list = cpus();
  return {
    node: process.version,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    postgresDurable,
    loadAverageAtStart,
  };
}

/** The ratio the shapes are held to: scenario 1's wall / bound, when it ran and succeeded. */
export function referenceRatio(scenarios: ScenarioResult[]): number | undefined {
  const first = scenarios.find((r) => r.id === 1);
  return first?.status === 'succeeded' ? first.ratioToBound : undefined;
}

/** Sets each shape's bar check against scenario 1 of the same benchmark. */
export function judgeShapes(shapes: ShapeResult[], scenarios: ScenarioResult[]): void {
  const reference = referenceRatio(scenarios);
  for (const shape of shapes) {
    if (shape.run) shape.bar = checkShapeBar(shape.run, reference);
  }
}

export function targetsReport(scenarios: ScenarioResult[], shapes: ShapeResult[] = [], repeats?: NoChangeRepeats): TargetsReport {
  const out: TargetsReport = { issue: 16, byScenario: TARGETS, workerRssLimitMb: WORKER_RSS_LIMIT_MB };
  if (repeats) out.databaseGrowth = repeats.check;
  if (scenarios.length > 0) {
    const peakMb = Math.max(...[...scenarios, ...(repeats?.runs ?? [])].map((r) => r.workerPeakRssBytes)) / MB;
    out.workerPeakRssMb = Math.round(peakMb);
    out.workerRssMet = peakMb <= WORKER_RSS_LIMIT_MB;
  }
  if (shapes.length > 0) {
    const reference = referenceRatio(scenarios);
    const runs = shapes.flatMap((sh) => (sh.run ? [sh.run] : []));
    const peakMb = runs.length ? Math.max(...runs.map((r) => r.workerPeakRssBytes)) / MB : undefined;
    out.shapes = {
      limit: SHAPE_RATIO_LIMIT,
      ...(reference === undefined ? {} : { referenceRatio: reference, met: shapes.every((sh) => sh.bar?.met === true) }),
      ...(peakMb === undefined ? {} : { workerPeakRssMb: Math.round(peakMb), workerRssMet: peakMb <= WORKER_RSS_LIMIT_MB }),
    };
  }
  return out;
}

/**
 * The phases of all scenarios as table columns, in run order: a phase only some runs have
 * (reconcile) goes right after the phase that preceded it in the run that has it.
 */
export function phaseColumns(runs: Array<Array<{ phase: string }>>): string[] {
  const columns: string[] = [];
  for (const phases of runs) {
    let at = -1;
    for (const { phase } of phases) {
      const known = columns.indexOf(phase);
      if (known >= 0) {
        at = known;
      } else {
        columns.splice(at + 1, 0, phase);
        at++;
      }
    }
  }
  return columns;
}

/** Time and worker peak RSS per phase name; a phase entered more than once adds up. */
export function phaseTotals(phases: ScenarioResult['phases']): Map<string, { ms: number; rssPeakBytes?: number }> {
  const totals = new Map<string, { ms: number; rssPeakBytes?: number }>();
  for (const p of phases) {
    const t = totals.get(p.phase) ?? { ms: 0 };
    t.ms += p.ms;
    if (p.rssPeakBytes !== undefined) t.rssPeakBytes = Math.max(t.rssPeakBytes ?? 0, p.rssPeakBytes);
    totals.set(p.phase, t);
  }
  return totals;
}

const s = (ms: number) => (ms / 1000).toFixed(1);
const mb = (bytes: number) => (bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0);
const ratio = (r: number | undefined) => (r === undefined ? '' : r.toFixed(2));
const percent = (p: number | undefined) => (p === undefined ? '' : `${p >= 0 ? '+' : ''}${p.toFixed(1)} %`);

/** The fetch-only of the import's request, in words, for the line under the lower bounds. */
function importRequestLine(lb: LowerBounds, paths: readonly string[]): string {
  const ir = lb.importRequest;
  if (!ir) return "Fetch-only of the import's request: not measured (no import ran).";
  if (ir.sameAsFull) return `Fetch-only of the import's request (${ir.from}): full records, the same as fetch-only; its ratios equal the full-record ones.`;
  return (
    `Fetch-only of the import's request (${ir.from}: ${describeListingQuery(ir.listingQuery, paths)}) ${s(ir.fetchOnly.ms)} s ` +
    `(${(ir.fetchOnly.bytes / MB).toFixed(0)} MB; fastest of ${ir.samplesMs.map((m) => s(m)).join('/')} s); bound with it ${s(ir.boundMs)} s.`
  );
}

export function markdown(report: BenchReport): string {
  const lb = report.lowerBounds;
  const lines: string[] = [];
  lines.push(
    `### scim-import benchmark: ${report.source.users} users, ${report.source.groups} groups, ${report.source.memberships} memberships/user, page size ${report.options.pageSize}`,
    '',
    `${report.environment.cpus} CPU (${report.environment.cpuModel}), node ${report.environment.node}, PostgreSQL ${report.environment.postgresDurable ? 'durable (fsync on)' : 'fsync off'}, ` +
      `load average at start ${report.environment.loadAverageAtStart.map((l) => l.toFixed(1)).join(' ')}`,
    '',
    `Lower bounds: fetch-only ${s(lb.fetchOnly.ms)} s (${lb.fetchOnly.pages} pages, ${lb.fetchOnly.records} records, ${(lb.fetchOnly.bytes / MB).toFixed(0)} MB), ` +
      `COPY of the cards ${s(lb.loadOnly.ms)} s (${lb.loadOnly.rows} rows, ${(lb.loadOnly.bytes / MB).toFixed(0)} MB), ` +
      `COPY of the links ${s(lb.loadOnly.linksMs)} s (${lb.loadOnly.links} rows). ` +
      `**Bound** (fetch + cards + links) ${s(lb.boundMs)} s; old bound (fetch + cards) ${s(lb.oldBoundMs)} s. ` +
      `Each the fastest of ${lb.samples.fetchOnlyMs.length}: fetch ${lb.samples.fetchOnlyMs.map((m) => s(m)).join('/')} s, ` +
      `cards ${lb.samples.loadOnlyMs.map((m) => s(m)).join('/')} s, links ${lb.samples.linksMs.map((m) => s(m)).join('/')} s.`,
    '',
    `Fetch-only asks what the import asks, with the import's concurrency: ${describeConcurrency(lb.fetchOnly.concurrency)}` +
      `${lb.fetchOnly.memberReads ? ` (${lb.fetchOnly.memberReads} member reads)` : ''}. ${importRequestLine(lb, ['/Users', '/Groups'])}`,
    '',
  );
  if (report.scenarios.length > 0) {
    lines.push(
      "| scenario | status | wall s | records | records/s | x bound | x old bound | x fetch-only | x bound, import's request | x fetch-only, import's request | target | met | target rows written | worker peak RSS MB | PG size MB |",
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |',
    );
    for (const r of report.scenarios) {
      const met = r.target.met ? describeCheck(r.target) : `**${describeCheck(r.target)}**`;
      lines.push(
        `| ${r.id}. ${r.name} | ${r.status} | ${s(r.wallMs)} | ${r.records} | ${Math.round(r.recordsPerSecond)} | ${r.ratioToBound.toFixed(2)} | ` +
          `${r.ratioToOldBound.toFixed(2)} | ${r.ratioToFetchOnly.toFixed(2)} | ${ratio(r.ratioToImportRequestBound)} | ${ratio(r.ratioToImportRequestFetchOnly)} | ` +
          `${describeTarget(r.target)} | ${met} | ${r.targetRowsWritten} | ` +
          `${(r.workerPeakRssBytes / MB).toFixed(0)} | ${mb(r.pgSizeBytes)} |`,
      );
    }
    const t = report.targets;
    if (t.workerPeakRssMb !== undefined) {
      lines.push(
        '',
        `Worker peak RSS over all scenarios ${t.workerPeakRssMb} MB, target ≤ ${t.workerRssLimitMb} MB: ${t.workerRssMet ? 'met' : '**NOT met**'}` +
          `${report.workerRssAtStartBytes ? ` (after start-up, before any run: ${(report.workerRssAtStartBytes / MB).toFixed(0)} MB)` : ''}.`,
      );
    }

    const columns = phaseColumns(report.scenarios.map((r) => r.phases));
    lines.push('', 'Phases (s as polled, worker peak RSS MB in brackets):', '', `| scenario | ${columns.join(' | ')} |`, `| --- |${' ---: |'.repeat(columns.length)}`);
    for (const r of report.scenarios) {
      const totals = phaseTotals(r.phases);
      const cell = (phase: string) => {
        const p = totals.get(phase);
        return p ? `${s(p.ms)}${p.rssPeakBytes ? ` (${(p.rssPeakBytes / MB).toFixed(0)})` : ''}` : '';
      };
      lines.push(`| ${r.id} | ${columns.map(cell).join(' | ')} |`);
    }

    lines.push(
      '',
      'PostgreSQL after each scenario (MB, table with its TOAST and indexes; indexes alone in brackets):',
      '',
      `| scenario | database | ${SIZED_TABLES.join(' | ')} | other tables |`,
      `| --- | ---: |${' ---: |'.repeat(SIZED_TABLES.length)} --- |`,
    );
    for (const r of report.scenarios) {
      const size = (t: { totalBytes: number; indexBytes: number } | null | undefined) => (t ? `${mb(t.totalBytes)} (${mb(t.indexBytes)})` : '-');
      const sized: readonly string[] = SIZED_TABLES;
      const others = Object.entries(r.pgTables).filter(([name]) => !sized.includes(name));
      lines.push(
        `| ${r.id} | ${mb(r.pgSizeBytes)} | ${SIZED_TABLES.map((name) => size(r.pgTables[name])).join(' | ')} | ` +
          `${others.map(([name, t]) => `${name} ${size(t)}`).join(', ')} |`,
      );
    }
    if (report.noChangeRepeats) lines.push('', ...repeatsMarkdown(report.noChangeRepeats));
    lines.push('', 'Run counts:');
    for (const r of report.scenarios) lines.push(`- ${r.id}: ${JSON.stringify(r.stats)}${r.mutation ? ` (source: ${r.mutation.changed} changed, ${r.mutation.deleted} deleted)` : ''}`);
  }
  const withStatements = report.scenarios.filter((r) => r.dbStatements?.length);
  if (withStatements.length > 0) {
    lines.push('', 'Database time by statement (top 6 per scenario):');
    for (const r of withStatements) {
      lines.push(`- ${r.id}:`);
      for (const t of (r.dbStatements ?? []).slice(0, 6)) {
        lines.push(`  - ${s(t.totalMs)} s, ${t.calls} calls: ${t.source ?? '?'} \`${t.statement.slice(0, 90)}\``);
      }
    }
  }
  if (report.shapes?.length) lines.push('', ...shapesMarkdown(report));
  const warnings = [
    ...report.scenarios.flatMap((r) => r.warnings.map((w) => `- scenario ${r.id}: ${w}`)),
    ...(report.noChangeRepeats?.runs ?? []).flatMap((r) => r.warnings.map((w) => `- scenario 2, repeat ${r.repeat}: ${w}`)),
    ...(report.shapes ?? []).flatMap((sh) => [...(sh.error ? [`- shape ${sh.id}: ${sh.error}`] : []), ...(sh.run?.warnings ?? []).map((w) => `- shape ${sh.id}: ${w}`)]),
  ];
  if (warnings.length > 0) lines.push('', 'Warnings:', ...warnings);
  if (report.error) lines.push('', `**Stopped early:** ${report.error}`);
  return lines.join('\n');
}

/** Scenario 2's repeats: each run and the database and staging_record sizes after it, against those after scenario 2. */
export function repeatsMarkdown(rep: NoChangeRepeats): string[] {
  const lines = [
    `Scenario 2 run ${rep.runs.length} more times right after it (issue 23: PostgreSQL size flat across repeated runs; sizes against those after scenario 2):`,
    '',
    '| run | status | wall s | x fetch-only | target rows written | worker peak RSS MB | PG size MB | growth | staging_record MB | staging_record growth |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| 2 (before the repeats) | | | | | | ${mb(rep.baseline.pgSizeBytes)} | | ${rep.baseline.stagingRecordBytes === null ? '-' : mb(rep.baseline.stagingRecordBytes)} | |`,
  ];
  for (const r of rep.runs) {
    lines.push(
      `| 2, repeat ${r.repeat} | ${r.status} | ${s(r.wallMs)} | ${r.ratioToFetchOnly.toFixed(2)} | ${r.targetRowsWritten} | ${(r.workerPeakRssBytes / MB).toFixed(0)} | ` +
        `${mb(r.pgSizeBytes)} | ${percent(r.growthPercent)} | ${r.stagingRecordBytes === null ? '-' : mb(r.stagingRecordBytes)} | ${percent(r.stagingGrowthPercent)} |`,
    );
  }
  const c = rep.check;
  lines.push('', `PostgreSQL size, target ${describeGrowthTarget()}: ${c.met ? describeGrowthCheck(c) : `**${describeGrowthCheck(c)}**`}.`);
  return lines;
}

/**
 * The shapes beside the 100k first import: each one's wall, its own bound, its ratio to that
 * bound, that ratio against scenario 1's, and the worker's peak RSS; then their phases.
 */
export function shapesMarkdown(report: BenchReport): string[] {
  const shapes = report.shapes ?? [];
  const lines: string[] = [
    `Shape scenarios (issue 20): each a first full import of its own data into a fresh database, against its own bound (fetch-only + cards COPY + links COPY of that data). ` +
      `Bar: no shape's ratio more than ${SHAPE_RATIO_LIMIT}x the ratio of the 100k first import.`,
    '',
    "| scenario | data | status | wall s | own bound s (fetch + cards + links) | x own bound | x own bound, import's request | vs first import | bar | worker peak RSS MB | PG size MB |",
    '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  const bound = (lb: LowerBounds) => `${s(lb.boundMs)} (${s(lb.fetchOnly.ms)} + ${s(lb.loadOnly.ms)} + ${s(lb.loadOnly.linksMs)})`;
  const first = report.scenarios.find((r) => r.id === 1);
  if (first) {
    lines.push(
      `| 1. ${first.name} (reference) | ${describeShapeData({ users: report.source.users, groups: report.source.groups, membershipsPerUser: report.source.memberships, devices: 0 })} | ` +
        `${first.status} | ${s(first.wallMs)} | ${bound(report.lowerBounds)} | ${first.ratioToBound.toFixed(2)} | ${ratio(first.ratioToImportRequestBound)} | 1.00 | reference | ${(first.workerPeakRssBytes / MB).toFixed(0)} | ${mb(first.pgSizeBytes)} |`,
    );
  }
  for (const sh of shapes) {
    const r = sh.run;
    const data = describeShapeData(sh.spec);
    if (!r) {
      lines.push(`| ${sh.id}. ${sh.name} | ${data} | **${sh.error ? 'failed' : 'not run'}** | | ${sh.lowerBounds ? bound(sh.lowerBounds) : ''} | | | | ${sh.error ? '**NOT met**' : ''} | | |`);
      continue;
    }
    // a timed-out run's wall and ratios are lower limits
    const over = r.status === 'timed out' ? '> ' : '';
    const bar = sh.bar ? (sh.bar.met === false ? `**${describeShapeBar(sh.bar)}**` : describeShapeBar(sh.bar)) : '';
    lines.push(
      `| ${sh.id}. ${sh.name} | ${data} | ${r.status} | ${over}${s(r.wallMs)} | ${sh.lowerBounds ? bound(sh.lowerBounds) : ''} | ${over}${r.ratioToBound.toFixed(2)} | ` +
        `${r.ratioToImportRequestBound === undefined ? '' : `${over}${r.ratioToImportRequestBound.toFixed(2)}`} | ` +
        `${sh.bar?.timesReference === undefined ? '' : `${over}${sh.bar.timesReference.toFixed(2)}`} | ${bar} | ${(r.workerPeakRssBytes / MB).toFixed(0)} | ${mb(r.pgSizeBytes)} |`,
    );
  }
  for (const sh of shapes) {
    if (sh.dryRun) {
      lines.push(
        '',
        `Shape ${sh.id} imported after a dry run of the same task (${sh.dryRun.status} in ${s(sh.dryRun.wallMs)} s, ${sh.dryRun.stats.fetched} records) ` +
          `and ANALYZE (${s(sh.dryRun.analyzeMs)} s), as autovacuum takes statistics after it.`,
      );
    }
  }
  const t = report.targets.shapes;
  if (t?.workerPeakRssMb !== undefined) {
    lines.push('', `Worker peak RSS over the shapes ${t.workerPeakRssMb} MB, target ≤ ${report.targets.workerRssLimitMb} MB: ${t.workerRssMet ? 'met' : '**NOT met**'}.`);
  }
  const runs = shapes.flatMap((sh) => (sh.run ? [sh.run] : []));
  if (runs.length > 0) {
    const columns = phaseColumns(runs.map((r) => r.phases));
    lines.push('', 'Shape phases (s as polled, worker peak RSS MB in brackets):', '', `| shape | ${columns.join(' | ')} |`, `| --- |${' ---: |'.repeat(columns.length)}`);
    for (const r of runs) {
      const totals = phaseTotals(r.phases);
      const cell = (phase: string) => {
        const p = totals.get(phase);
        return p ? `${s(p.ms)}${p.rssPeakBytes ? ` (${(p.rssPeakBytes / MB).toFixed(0)})` : ''}` : '';
      };
      lines.push(`| ${r.id} | ${columns.map(cell).join(' | ')} |`);
    }
    lines.push('', 'Shape run counts:');
    for (const r of runs) lines.push(`- ${r.id}: ${JSON.stringify(r.stats)}`);
  }
  const withStatements = runs.filter((r) => r.dbStatements?.length);
  if (withStatements.length > 0) {
    lines.push('', 'Shape database time by statement (top 6 per shape):');
    for (const r of withStatements) {
      lines.push(`- ${r.id}:`);
      for (const st of (r.dbStatements ?? []).slice(0, 6)) lines.push(`  - ${s(st.totalMs)} s, ${st.calls} calls: ${st.source ?? '?'} \`${st.statement.slice(0, 90)}\``);
    }
  }
  return lines;
}

export function writeReport(file: string, report: BenchReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
