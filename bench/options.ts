/** Command-line flags of `npm run bench -- ...`. */
import { NO_CHANGE_REPEATS } from './targets';

export type ScenarioId = 1 | 2 | 3 | 4;
/** The shape scenarios (shapes.ts): each a first import of its own data into a fresh database. */
export type ShapeId = 'a' | 'b' | 'c' | 'd';
export const SHAPE_IDS: readonly ShapeId[] = ['a', 'b', 'c', 'd'];

export interface BenchOptions {
  users: number;
  groups: number;
  membershipsPerUser: number;
  pageSize: number;
  scenarios: ScenarioId[];
  /** shape scenarios to run besides the four classic ones (default all) */
  shapes: ShapeId[];
  /** multiplies every shape's record counts (trying things out; results compare at 1 only) */
  shapeScale: number;
  seed: number;
  /** only the data generator, the fixture source and the two lower bounds (no Temporal, API or worker) */
  lowerBoundsOnly: boolean;
  /** fsync off in PostgreSQL, as in tests; off by default so commits cost what they do in production */
  fastPostgres: boolean;
  /** start the worker with --cpu-prof; profiles land in the log directory */
  profileWorker: boolean;
  runTimeoutMinutes: number;
  /** each lower bound is measured this often; the fastest counts */
  lowerBoundRepeats: number;
  /** log plans of statements slower than this (auto_explain) into the PostgreSQL log */
  explainSlowMs?: number;
  /** log every statement's duration and report each scenario's busiest statements */
  statementTimes: boolean;
  /**
   * More runs of scenario 2 right after it, with the database size after each (issue 23: flat
   * across repeated runs); 0 skips them
   */
  repeatNoChange: number;
  /**
   * The request of the second fetch-only (fetch-only of the import's request): `import` is what
   * the fixture saw the import send in its first run (full records until it projects);
   * `mapped` is `attributes=` of what the bench task maps, measured with the lower bounds
   */
  fetchAttributes: 'import' | 'mapped';
  /** the bench connector's attributeProjection (on: the connector's default) */
  attributeProjection: boolean;
  output: string;
  keepLogs: boolean;
}

export const USAGE = `usage: npm run bench -- [flags]
  --users N              users in the source (default 100000)
  --groups N             groups in the source (default 10000)
  --memberships N        group memberships per user (default 5)
  --page-size N          connector page size, also used by fetch-only (default 500)
  --scenarios 1,2,3,4    which scenarios to run (default all; 2-4 need 1 first)
  --shapes a,b,c,d|none  shape scenarios, each a first import into a fresh database (default all):
                         a 20k users/2k groups, b 5 groups of 100k members, c users only, d generic /Devices
  --shape-scale F        multiply the shapes' record counts by F (default 1; for trying things out)
  --seed N               data generator seed (default 1)
  --lower-bounds-only    generator + fixture source + lower bounds only
  --fast-pg              PostgreSQL with fsync off (default: durable settings)
  --profile-worker       run the worker with --cpu-prof (profiles kept with the logs)
  --run-timeout-min N    give up on a run after N minutes (default 180)
  --bound-repeats N      measure each lower bound N times, keep the fastest (default 2)
  --explain-slow-ms N    log plans of statements slower than N ms (PostgreSQL log, kept)
  --statement-times      report each scenario's database time per SQL statement (with its source line)
  --attribute-projection on|off  the bench connector lists with attributes= (on, the default) or reads whole records
  --repeat-no-change N   run scenario 2 N more times right after it, with the database size after each
                         (default ${NO_CHANGE_REPEATS}, the issue 23 target's count; 0 skips them)
  --fetch-attributes import|mapped
                         request of the second fetch-only: what the import sent in its first run
                         (default), or attributes= of what the bench task maps (with the lower bounds)
  --output FILE          report file (default bench/results/latest.json)
  --keep-logs            keep process logs even when the benchmark succeeds`;

export function parseOptions(argv: string[], defaultOutput: string): BenchOptions {
  const opts: BenchOptions = {
    users: 100_000,
    groups: 10_000,
    membershipsPerUser: 5,
    pageSize: 500,
    scenarios: [1, 2, 3, 4],
    shapes: [...SHAPE_IDS],
    shapeScale: 1,
    seed: 1,
    lowerBoundsOnly: false,
    fastPostgres: false,
    profileWorker: false,
    runTimeoutMinutes: 180,
    lowerBoundRepeats: 2,
    statementTimes: false,
    repeatNoChange: NO_CHANGE_REPEATS,
    fetchAttributes: 'import',
    attributeProjection: true,
    output: defaultOutput,
    keepLogs: false,
  };
  const int = (flag: string, raw: string | undefined, min: number): number => {
    const n = Number(raw);
    if (raw === undefined || !Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min} (got ${raw ?? 'nothing'})\n${USAGE}`);
    return n;
  };
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    const value = () => argv[++k];
    switch (flag) {
      case '--users': opts.users = int(flag, value(), 1); break;
      case '--groups': opts.groups = int(flag, value(), 1); break;
      case '--memberships': opts.membershipsPerUser = int(flag, value(), 0); break;
      case '--page-size': opts.pageSize = int(flag, value(), 1); break;
      case '--seed': opts.seed = int(flag, value(), 0); break;
      case '--run-timeout-min': opts.runTimeoutMinutes = int(flag, value(), 1); break;
      case '--bound-repeats': opts.lowerBoundRepeats = int(flag, value(), 1); break;
      case '--explain-slow-ms': opts.explainSlowMs = int(flag, value(), 0); break;
      case '--repeat-no-change': opts.repeatNoChange = int(flag, value(), 0); break;
      case '--fetch-attributes': {
        const v = value();
        if (v !== 'import' && v !== 'mapped') throw new Error(`--fetch-attributes takes import or mapped (got ${v ?? 'nothing'})\n${USAGE}`);
        opts.fetchAttributes = v;
        break;
      }
      case '--attribute-projection': {
        const v = value();
        if (v !== 'on' && v !== 'off') throw new Error(`--attribute-projection takes on or off (got ${v ?? 'nothing'})\n${USAGE}`);
        opts.attributeProjection = v === 'on';
        break;
      }
      case '--lower-bounds-only': opts.lowerBoundsOnly = true; break;
      case '--fast-pg': opts.fastPostgres = true; break;
      case '--statement-times': opts.statementTimes = true; break;
      case '--profile-worker': opts.profileWorker = true; break;
      case '--keep-logs': opts.keepLogs = true; break;
      case '--output': {
        const v = value();
        if (!v) throw new Error(`--output needs a file\n${USAGE}`);
        opts.output = v;
        break;
      }
      case '--scenarios': {
        const ids = (value() ?? '').split(',').map((s) => Number(s.trim()));
        if (ids.length === 0 || ids.some((n) => ![1, 2, 3, 4].includes(n))) throw new Error(`--scenarios takes a list of 1,2,3,4\n${USAGE}`);
        opts.scenarios = [...new Set(ids as ScenarioId[])].sort();
        break;
      }
      case '--shapes': {
        const raw = (value() ?? '').trim();
        const ids = raw === 'none' ? [] : raw.split(',').map((s) => s.trim());
        if (raw === '' || ids.some((id) => !SHAPE_IDS.includes(id as ShapeId))) throw new Error(`--shapes takes a list of a,b,c,d or none\n${USAGE}`);
        opts.shapes = SHAPE_IDS.filter((id) => ids.includes(id));
        break;
      }
      case '--shape-scale': {
        const raw = value();
        const f = Number(raw);
        if (raw === undefined || !Number.isFinite(f) || f <= 0 || f > 10) throw new Error(`--shape-scale needs a number in (0, 10] (got ${raw ?? 'nothing'})\n${USAGE}`);
        opts.shapeScale = f;
        break;
      }
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  if (opts.pageSize > 10_000) throw new Error('--page-size can be at most 10000 (the connector limit)');
  return opts;
}
