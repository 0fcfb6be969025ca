/**
 * Where the database time of a scenario goes, per SQL statement. With `--statement-times` every
 * statement's duration is logged (log_min_duration_statement = 0); this reads the PostgreSQL log
 * back, sums parse+bind+execute time per statement text within a time window, and names the
 * source line that holds the statement, so the report can say "load.ts:102 took 80% of the run".
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Client } from 'pg';

export interface StatementTime {
  /** the statement's first line */
  statement: string;
  /** file:line of the source that contains it, when found */
  source?: string;
  calls: number;
  totalMs: number;
}

/** Logs every statement's duration in connections opened from now on (parameters left out). */
export async function logStatementDurations(client: Client): Promise<void> {
  const db = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db.replace(/"/g, '');
  await client.query(`ALTER DATABASE "${db}" SET log_min_duration_statement = 0`);
  await client.query(`ALTER DATABASE "${db}" SET log_parameter_max_length = 0`);
}

// 2026-11-27 01:06:24.045 UTC [18253] LOG:  duration: 0.532 ms  execute <unnamed>: UPDATE staging_record ...
const ENTRY = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] LOG:\s+duration: ([\d.]+) ms\s+(?:(?:parse|bind|execute) [^:]*|statement): (.*)$/;

/** Statement totals per window ([fromMs, toMs] wall-clock), busiest first. */
export function statementTimes(logFile: string, windows: Array<{ from: number; to: number }>, root: string, top = 12): StatementTime[][] {
  const sums = windows.map(() => new Map<string, { calls: number; totalMs: number }>());
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    const m = ENTRY.exec(line);
    if (!m) continue;
    const at = Date.parse(`${m[1].replace(' ', 'T')}Z`);
    const k = windows.findIndex((w) => at >= w.from && at <= w.to);
    if (k < 0) continue;
    const text = m[3].trim().replace(/\s+/g, ' ').slice(0, 160);
    const s = sums[k].get(text) ?? { calls: 0, totalMs: 0 };
    s.totalMs += Number(m[2]);
    // a call is an execute (or a simple-protocol statement); parse and bind only add time
    if (!/ (parse|bind) /.test(line.slice(0, 80))) s.calls++;
    sums[k].set(text, s);
  }
  const sources = sourceLines(root);
  return sums.map((m) =>
    [...m.entries()]
      .sort((a, b) => b[1].totalMs - a[1].totalMs)
      .slice(0, top)
      .map(([statement, s]) => ({ statement, calls: s.calls, totalMs: Math.round(s.totalMs), source: findSource(statement, sources) })),
  );
}

/** Lines of the libs' TypeScript sources, to find where a statement is written. */
function sourceLines(root: string): Array<{ file: string; line: number; text: string }> {
  const out: Array<{ file: string; line: number; text: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) {
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((text, i) => out.push({ file: relative(root, path), line: i + 1, text: text.replace(/\s+/g, ' ') }));
      }
    }
  };
  walk(join(root, 'libs'));
  return out;
}

function findSource(statement: string, lines: Array<{ file: string; line: number; text: string }>): string | undefined {
  // the first 40 characters of a statement are distinctive enough and fit on one source line
  const head = statement.slice(0, 40).trim();
  if (head.length < 12) return undefined;
  const hit = lines.find((l) => l.text.includes(head));
  return hit ? `${hit.file}:${hit.line}` : undefined;
}
