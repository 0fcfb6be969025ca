/** The benchmark's report: bench/results/latest.json and the markdown tables printed at the end. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { ProfileSummary } from './cpu-profile-summary';
import type { LowerBounds } from './lower-bounds';
import type { BenchOptions } from './options';
import type { ScenarioResult } from './scenarios';

export interface Bar {
  name: string;
  value: number;
  limit: number;
  unit: string;
  ok: boolean;
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
  /** hotspots of the worker's CPU profiles (--profile-worker) */
  workerProfiles?: ProfileSummary[];
  bars: Bar[];
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

/** The issue's bars, for whichever scenarios ran. */
export function evaluateBars(lb: LowerBounds, scenarios: ScenarioResult[], users: number): Bar[] {
  const bars: Bar[] = [];
  const s1 = scenarios.find((s) => s.id === 1);
  const s2 = scenarios.find((s) => s.id === 2);
  if (s1) bars.push({ name: `scenario 1 wall / (fetch-only + load-only)`, value: s1.ratioToLowerBounds, limit: 2.0, unit: 'x', ok: s1.status === 'succeeded' && s1.ratioToLowerBounds <= 2.0 });
  if (s2) {
    bars.push({ name: 'scenario 2 target rows written', value: s2.targetRowsWritten, limit: 0, unit: 'rows', ok: s2.status === 'succeeded' && s2.targetRowsWritten === 0 });
    bars.push({ name: 'scenario 2 wall / fetch-only', value: s2.wallMs / lb.fetchOnly.ms, limit: 1.2, unit: 'x', ok: s2.status === 'succeeded' && s2.wallMs <= 1.2 * lb.fetchOnly.ms });
  }
  if (scenarios.length > 0) {
    const peak = Math.max(...scenarios.map((s) => s.workerPeakRssBytes));
    bars.push({ name: `worker peak RSS at ${users} users`, value: peak / MB, limit: 512, unit: 'MB', ok: peak <= 512 * MB });
  }
  return bars;
}

const s = (ms: number) => (ms / 1000).toFixed(1);

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
      `load-only ${s(lb.loadOnly.ms)} s (COPY ${lb.loadOnly.rows} rows, ${(lb.loadOnly.bytes / MB).toFixed(0)} MB), sum ${s(lb.sumMs)} s` +
      ` (fastest of ${lb.samples.fetchOnlyMs.length}: fetch ${lb.samples.fetchOnlyMs.map((m) => s(m)).join('/')} s, load ${lb.samples.loadOnlyMs.map((m) => s(m)).join('/')} s)` +
      ` — for reference, COPY of the ${lb.loadOnly.links} membership links: ${s(lb.loadOnly.linksMs)} s`,
    '',
  );
  if (report.scenarios.length > 0) {
    lines.push(
      '| scenario | status | wall s | records | records/s | ratio to fetch+load | ratio to fetch | target rows written | worker peak RSS MB | PG size MB |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of report.scenarios) {
      lines.push(
        `| ${r.id}. ${r.name} | ${r.status} | ${s(r.wallMs)} | ${r.records} | ${Math.round(r.recordsPerSecond)} | ${r.ratioToLowerBounds.toFixed(2)} | ` +
          `${r.ratioToFetchOnly.toFixed(2)} | ${r.targetRowsWritten} | ${(r.workerPeakRssBytes / MB).toFixed(0)} | ${(r.pgSizeBytes / MB).toFixed(0)} |`,
      );
    }
    if (report.workerRssAtStartBytes) lines.push('', `Worker RSS after start-up, before any run: ${(report.workerRssAtStartBytes / MB).toFixed(0)} MB.`);
    lines.push('', 'Phases (s, as polled; worker peak RSS MB in the phase):');
    for (const r of report.scenarios) {
      const phase = (p: ScenarioResult['phases'][number]) => `${p.phase} ${s(p.ms)}${p.rssPeakBytes ? ` (${(p.rssPeakBytes / MB).toFixed(0)})` : ''}`;
      lines.push(`- ${r.id}: ${r.phases.map(phase).join(', ')}`);
    }
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
  if (report.bars.length > 0) {
    lines.push('', '| bar | value | limit | ok |', '| --- | ---: | ---: | --- |');
    for (const b of report.bars) lines.push(`| ${b.name} | ${b.value.toFixed(b.unit === 'rows' ? 0 : 2)} ${b.unit} | ${b.limit} ${b.unit} | ${b.ok ? 'yes' : '**no**'} |`);
  }
  const warnings = report.scenarios.flatMap((r) => r.warnings.map((w) => `- scenario ${r.id}: ${w}`));
  if (warnings.length > 0) lines.push('', 'Warnings:', ...warnings);
  if (report.error) lines.push('', `**Stopped early:** ${report.error}`);
  return lines.join('\n');
}

export function writeReport(file: string, report: BenchReport): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
