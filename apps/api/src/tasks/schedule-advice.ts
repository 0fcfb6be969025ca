import { CronExpressionParser } from 'cron-parser';

/** One piece of advice on a task's schedule (advice only: nothing is ever refused for it). */
export interface ScheduleAdvice {
  level: 'info' | 'warning';
  message: string;
}

export type ScheduleDefinition = { cron?: string; timezone?: string; everyMinutes?: number } | null;

/** What the advice looks at for one task. */
export interface ScheduleAdviceInput {
  task: { id: string; type: 'full' | 'incremental'; schedule: ScheduleDefinition; enabled: boolean };
  /** records of the source: measured by the last complete run, or the totals a preview reported */
  size: { users: number; groups: number; generic: number; measuredBy: string } | null;
  /** durations of the task's latest finished runs, newest first */
  recentRunDurationsMs: number[];
  /** the other tasks whose runs go to the same worker pool (task queue) */
  others: Array<{ id: string; name: string; schedule: ScheduleDefinition; enabled: boolean }>;
  now: Date;
}

/**
 * The reference pace of a full task by source size: at most this many users (groups count half,
 * so 1,000 groups weigh as 500 users) every `everyMinutes`. Above the last step a full read needs
 * more workers than one.
 */
export const FULL_RUN_REFERENCE: ReadonlyArray<{ upTo: number; everyMinutes: number; label: string }> = [
  { upTo: 500, everyMinutes: 30, label: 'every 30 minutes' },
  { upTo: 2_000, everyMinutes: 60, label: 'every 60 minutes' },
  { upTo: 5_000, everyMinutes: 240, label: 'every 4 hours' },
  { upTo: 10_000, everyMinutes: 720, label: 'twice a day' },
  { upTo: 50_000, everyMinutes: 1_440, label: 'once a day' },
];

/** How far ahead start times are compared (a day covers every daily pattern). */
const HORIZON_MS = 24 * 3_600_000;
/** Most start times looked at per schedule within the horizon (every minute = 1,440). */
const MAX_STARTS = 1_500;

/** The size that decides the pace: users, or generic records, with groups weighing half a user. */
export function weightedSize(size: { users: number; groups: number; generic: number }): number {
  return Math.max(size.users + size.generic, Math.ceil(size.groups / 2));
}

/** The reference interval in minutes for a full task of this size; null above the last step (more workers needed). */
export function referenceIntervalMinutes(size: { users: number; groups: number; generic: number }): { everyMinutes: number; label: string } | null {
  const n = weightedSize(size);
  const step = FULL_RUN_REFERENCE.find((s) => n <= s.upTo);
  return step ? { everyMinutes: step.everyMinutes, label: step.label } : null;
}

/** Expanded start times by schedule and instant: a task list compares every pair of tasks. */
const startsCache = new Map<string, Date[]>();
const STARTS_CACHE_LIMIT = 2_000;

/** Start times of a schedule in [from, from + horizon), at most `max`. Interval schedules are aligned to the Unix epoch, as Temporal aligns them. */
export function scheduleStarts(schedule: ScheduleDefinition, from: Date, horizonMs = HORIZON_MS, max = MAX_STARTS): Date[] {
  if (!schedule) return [];
  const key = `${JSON.stringify(schedule)}|${from.getTime()}|${horizonMs}|${max}`;
  const known = startsCache.get(key);
  if (known) return known;
  const starts = expandStarts(schedule, from, horizonMs, max);
  if (startsCache.size >= STARTS_CACHE_LIMIT) startsCache.clear();
  startsCache.set(key, starts);
  return starts;
}

function expandStarts(schedule: NonNullable<ScheduleDefinition>, from: Date, horizonMs: number, max: number): Date[] {
  const end = from.getTime() + horizonMs;
  const out: Date[] = [];
  if (schedule.everyMinutes !== undefined) {
    const every = schedule.everyMinutes * 60_000;
    for (let t = Math.ceil(from.getTime() / every) * every; t < end && out.length < max; t += every) out.push(new Date(t));
    return out;
  }
  if (schedule.cron === undefined) return [];
  const expr = CronExpressionParser.parse(schedule.cron, { currentDate: new Date(from.getTime() - 1), tz: schedule.timezone ?? 'UTC' });
  while (out.length < max) {
    const next = expr.next().getTime();
    if (next >= end) break;
    out.push(new Date(next));
  }
  return out;
}

/**
 * The shortest time between two consecutive starts, in minutes (over a week for cron, so
 * weekday-only patterns count their shortest gap). null for manual-only schedules.
 */
export function scheduleIntervalMinutes(schedule: ScheduleDefinition, now: Date): number | null {
  if (!schedule) return null;
  if (schedule.everyMinutes !== undefined) return schedule.everyMinutes;
  const starts = scheduleStarts(schedule, now, 7 * HORIZON_MS, 10_081);
  if (starts.length < 2) return starts.length === 1 ? 7 * 24 * 60 : null;
  let shortest = Infinity;
  for (let i = 1; i < starts.length; i++) shortest = Math.min(shortest, starts[i].getTime() - starts[i - 1].getTime());
  return Math.round(shortest / 60_000);
}

function minutesText(m: number): string {
  if (m % 1_440 === 0) return m === 1_440 ? '24 hours' : `${m / 1_440} days`;
  if (m % 60 === 0) return m === 60 ? '60 minutes' : `${m / 60} hours`;
  return `${m} minute${m === 1 ? '' : 's'}`;
}

function sizeText(size: NonNullable<ScheduleAdviceInput['size']>): string {
  const parts = [
    size.users ? `${size.users.toLocaleString('en-US')} users` : '',
    size.groups ? `${size.groups.toLocaleString('en-US')} groups` : '',
    size.generic ? `${size.generic.toLocaleString('en-US')} records` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' and ') : 'no records';
}

/** Advice on a task's schedule from its source size, its recent run durations and the other tasks' start times. */
export function scheduleAdvice(input: ScheduleAdviceInput): ScheduleAdvice[] {
  const { task, size, now } = input;
  const advice: ScheduleAdvice[] = [];
  if (!task.schedule) return [{ level: 'info', message: 'manual runs only: no schedule to advise on' }];
  const interval = scheduleIntervalMinutes(task.schedule, now);
  if (interval === null) return advice;
  if (!task.enabled) advice.push({ level: 'info', message: 'the schedule is paused; the advice below applies once it is resumed' });

  if (task.type === 'full') {
    if (!size) {
      advice.push({ level: 'info', message: 'the source size is not known yet: a completed run (or a preview) measures it, and then this advice checks the schedule against it' });
    } else {
      const reference = referenceIntervalMinutes(size);
      if (!reference) {
        advice.push({
          level: 'warning',
          message: `the source has ${sizeText(size)} (${size.measuredBy}), above the 50,000 that one worker reads in full once a day: add workers, or make the task incremental with an occasional full run`,
        });
      } else if (interval < reference.everyMinutes) {
        advice.push({
          level: 'warning',
          message: `a full read of ${sizeText(size)} (${size.measuredBy}) is scheduled every ${minutesText(interval)}; at this size the reference is ${reference.label}: schedule it less often, or make it incremental`,
        });
      }
    }
  }

  const longest = input.recentRunDurationsMs.length ? Math.max(...input.recentRunDurationsMs) : undefined;
  if (longest !== undefined && longest > interval * 60_000) {
    advice.push({
      level: 'warning',
      message: `a recent run took ${minutesText(Math.ceil(longest / 60_000))}, longer than the ${minutesText(interval)} between scheduled starts: starts that fall while a run is still going are skipped`,
    });
  }

  if (task.enabled) {
    const mine = new Set(scheduleStarts(task.schedule, now).map((d) => d.getTime()));
    const clashes: Array<{ name: string; at: Date }> = [];
    for (const other of input.others) {
      if (other.id === task.id || !other.enabled || !other.schedule) continue;
      const at = scheduleStarts(other.schedule, now).find((d) => mine.has(d.getTime()));
      if (at) clashes.push({ name: other.name, at });
    }
    if (clashes.length) {
      clashes.sort((a, b) => a.at.getTime() - b.at.getTime() || a.name.localeCompare(b.name));
      advice.push({
        level: 'warning',
        message: `starts at the same minute as ${clashes.map((c) => `"${c.name}"`).join(', ')} on the same worker pool (next at ${clashes[0].at.toISOString()}): offset the start minute so the runs do not compete`,
      });
    }
  }
  return advice;
}
