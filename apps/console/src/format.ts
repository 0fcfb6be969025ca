import type { Run, Task } from './api/client';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Common cron shapes in words; anything else is shown as the expression itself. */
export function cronInWords(cron: string): string {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) return `cron ${cron}`;
  const [min, hour, dom, mon, dow] = parts;
  const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
  const everyN = (s: string) => (/^\*\/\d+$/.test(s) ? Number(s.slice(2)) : undefined);
  if (dom === '*' && mon === '*' && dow === '*') {
    if (min === '*' && hour === '*') return 'every minute';
    if (everyN(min) && hour === '*') return `every ${everyN(min)} minutes`;
    if (num(min) !== undefined && hour === '*') return `every hour at minute ${num(min)}`;
    if (num(min) !== undefined && everyN(hour)) return `every ${everyN(hour)} hours at minute ${num(min)}`;
    if (num(min) !== undefined && num(hour) !== undefined) return `daily at ${pad(num(hour)!)}:${pad(num(min)!)}`;
    if (num(min) !== undefined && /^\d+(,\d+)+$/.test(hour))
      return `daily at ${hour
        .split(',')
        .map((h) => `${pad(Number(h))}:${pad(num(min)!)}`)
        .join(', ')}`;
  }
  if (dom === '*' && mon === '*' && num(dow) !== undefined && num(min) !== undefined && num(hour) !== undefined) {
    return `every ${DAYS[num(dow)! % 7]} at ${pad(num(hour)!)}:${pad(num(min)!)}`;
  }
  return `cron ${cron}`;
}

/** A task's schedule in words. */
export function scheduleInWords(schedule: Task['schedule']): string {
  if (!schedule) return 'manual runs only';
  if (schedule.everyMinutes) return schedule.everyMinutes === 1 ? 'every minute' : `every ${schedule.everyMinutes} minutes`;
  if (schedule.cron) return `${cronInWords(schedule.cron)} (${schedule.timezone ?? 'UTC'})`;
  return 'manual runs only';
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** How long a run took, or has been running. */
export function runDuration(run: Pick<Run, 'startedAt' | 'finishedAt'>, now = Date.now()): string {
  const end = run.finishedAt ? new Date(run.finishedAt).getTime() : now;
  return formatDuration(Math.max(0, end - new Date(run.startedAt).getTime()));
}

export const STATUS_COLORS: Record<string, string> = {
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'gray',
  terminated: 'orange',
  timedOut: 'orange',
  active: 'green',
  removed: 'gray',
  awaitingApproval: 'yellow',
};
