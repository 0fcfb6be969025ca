/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists where the worker spent its time: self time
 * per function and per file, with compiled locations mapped back to the TypeScript sources
 * through the build's source maps. "(idle)" is time the worker waited (mostly on PostgreSQL).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  /** path:line in the sources when a source map says so, else in the compiled file */
  location: string;
  functionName: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: Hotspot[];
  files: Array<{ file: string; selfMs: number; percent: number }>;
}

/**
 * `buildRoot` is where the profiled code ran from (a dist/ copy), `root` the project: mapped
 * paths are shown relative to the project even though the copy is gone by the time anyone reads them.
 */
export function summarizeCpuProfile(file: string, opts: { root: string; buildRoot?: string; top?: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let k = 0; k < profile.samples.length; k++) {
    selfUs.set(profile.samples[k], (selfUs.get(profile.samples[k]) ?? 0) + (profile.timeDeltas[k] ?? 0));
  }
  const maps = new Map<string, SourceMap | undefined>();
  const mapFor = (path: string): SourceMap | undefined => {
    if (!maps.has(path)) {
      const mapFile = `${path}.map`;
      maps.set(path, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as never) : undefined);
    }
    return maps.get(path);
  };
  const show = (path: string): string => {
    let p = path.startsWith('file://') ? fileURLToPath(path) : path;
    if (opts.buildRoot && p.startsWith(opts.buildRoot)) p = opts.root + p.slice(opts.buildRoot.length);
    return p.startsWith(opts.root) ? relative(opts.root, p) : p;
  };
  const locate = (frame: ProfileNode['callFrame']): { location: string; file: string } => {
    if (!frame.url) return { location: frame.functionName || '(native)', file: frame.functionName || '(native)' };
    let path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
    // once the dist/ copy is gone, the project's own build (usually the same) has the maps
    if (opts.buildRoot && path.startsWith(opts.buildRoot) && !existsSync(`${path}.map`)) path = opts.root + path.slice(opts.buildRoot.length);
    const map = path.endsWith('.js') ? mapFor(path) : undefined;
    // findEntry answers {} for a position the map does not cover
    const entry: Partial<{ originalSource: string; originalLine: number }> | undefined = map?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
      // tsc writes sources relative to the map's directory
      const original = /^[a-z]+:\/\//.test(entry.originalSource) ? entry.originalSource : resolve(dirname(path), entry.originalSource);
      const source = show(original);
      return { location: `${source}:${entry.originalLine + 1}`, file: source };
    }
    const shown = show(frame.url);
    return { location: `${shown}:${frame.lineNumber + 1}`, file: shown };
  };

  const functions = new Map<string, Hotspot>();
  const files = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { location, file: f } = locate(node.callFrame);
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const h = functions.get(key) ?? { location, functionName: name, selfMs: 0, percent: 0 };
    h.selfMs += us / 1000;
    functions.set(key, h);
    files.set(f, (files.get(f) ?? 0) + us / 1000);
  }
  const totalMs = totalUs / 1000;
  const top = opts.top ?? 25;
  const pct = (ms: number) => (totalMs > 0 ? (100 * ms) / totalMs : 0);
  return {
    file,
    totalMs,
    functions: [...functions.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((h) => ({ ...h, percent: pct(h.selfMs) })),
    files: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, ms]) => ({ file: f, selfMs: ms, percent: pct(ms) })),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [`CPU profile ${s.file} (${(s.totalMs / 1000).toFixed(1)} s sampled); self time by function:`];
  for (const h of s.functions) lines.push(`  ${h.percent.toFixed(1).padStart(5)}%  ${(h.selfMs / 1000).toFixed(2).padStart(7)} s  ${h.functionName}  ${h.location}`);
  lines.push('self time by file:');
  for (const f of s.files.slice(0, 15)) lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${(f.selfMs / 1000).toFixed(2).padStart(7)} s  ${f.file}`);
  return lines.join('\n');
}

/** `node dist/bench/cpu-profile-summary.js <file.cpuprofile> [project root] [dist copy root]` */
if (require.main === module) {
  const [file, root = process.cwd(), buildRoot] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/cpu-profile-summary.js <file.cpuprofile> [project root] [root the profiled dist/ ran from]');
    process.exit(2);
  }
  console.log(formatProfileSummary(summarizeCpuProfile(file, { root, buildRoot })));
}
