import type { Run, Schemas, Task, WebhookEventType } from './api/client';

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
  return formatDuration(elapsedMs(run.startedAt, run.finishedAt, now));
}

/** Enum values whose words are not just their camelCase split. */
const WORDS: Record<string, string> = {
  totalResults: "the server's count",
  lastRun: 'the last complete run',
  identityAndAccess: 'identity and access',
  dryRun: 'dry run',
};

/**
 * An API enum value in words, the one way the console shows them: `awaitingApproval` → "awaiting
 * approval", `withinThreshold` → "within threshold", `timedOut` → "timed out"; one-word values stay.
 */
export function inWords(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return WORDS[value] ?? value.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** A run step as it reads in a sentence: `extract:Users` → "extract /Users". */
export function phaseInWords(phase: string | null | undefined): string {
  if (!phase) return '—';
  const [step, resource] = phase.split(':', 2);
  return resource ? `${inWords(step)} /${resource.replace(/^\//, '')}` : inWords(step);
}

const COUNT = new Intl.NumberFormat('en-US');

/** A count with thousands separators: 12300 → "12,300". */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** A rate: 850 → "850/s", 2.4 → "2.4/s". */
export function formatRate(perSecond: number): string {
  return `${perSecond >= 100 ? COUNT.format(Math.round(perSecond)) : Math.round(perSecond * 10) / 10}/s`;
}

/** Time left, rounded the way a person says it: "about 2 min left", "less than a minute left". */
export function etaInWords(seconds: number): string {
  if (seconds < 60) return seconds < 10 ? 'a few seconds left' : 'less than a minute left';
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds - h * 3600) / 60);
  return `about ${h} h${m ? ` ${m} min` : ''} left`;
}

/** Milliseconds between two ISO times (the second defaults to now). */
export function elapsedMs(startIso: string, endIso: string | null | undefined, now = Date.now()): number {
  return Math.max(0, (endIso ? new Date(endIso).getTime() : now) - new Date(startIso).getTime());
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
  applying: 'blue',
  applied: 'green',
  created: 'green',
  updated: 'blue',
  unchanged: 'gray',
  pending: 'blue',
  retrying: 'orange',
};

/** The run events a webhook can subscribe to, in the order a run meets them, in words. */
export const EVENT_TYPES: Array<{ type: WebhookEventType; words: string }> = [
  { type: 'run.started', words: 'run started' },
  { type: 'run.succeeded', words: 'run succeeded' },
  { type: 'run.failed', words: 'run failed' },
  { type: 'run.cancelled', words: 'run cancelled' },
  { type: 'run.awaitingRemovalApproval', words: 'removals awaiting approval' },
  { type: 'run.removalsApplied', words: 'removals applied' },
];

/** A run event type in words: `run.awaitingRemovalApproval` → "removals awaiting approval". */
export function eventTypeInWords(type: string): string {
  return EVENT_TYPES.find((e) => e.type === type)?.words ?? inWords(type);
}

/** A resource's read so far: "12,300 of 100,000 · 850/s · about 2 min left" (or "12,300 read · 850/s" when nothing says how many). */
export function readProgressInWords(r: Schemas['ResourceProgressView']): string {
  const parts = [r.expected !== null ? `${formatCount(r.read)} of ${formatCount(r.expected)}` : `${formatCount(r.read)} read`];
  if (r.done) parts.push('done');
  else {
    if (r.perSecond) parts.push(formatRate(r.perSecond));
    if (r.etaSeconds !== null) parts.push(etaInWords(r.etaSeconds));
  }
  return parts.join(' · ');
}
