import type { LoggerService } from '@nestjs/common';
import type { LogFormat, LogLevel } from '@app/config';
import { currentLogContext } from './log-context';
import { redactText, redactValue } from './redact';

/** Nest's level names, fatal included (always on). */
export type AppLogLevel = LogLevel | 'fatal';

/** Level names as log systems know them (pino/Bunyan style). */
const LEVEL_NAME: Record<AppLogLevel, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };
const SEVERITY: Record<AppLogLevel, number> = { fatal: 0, error: 1, warn: 2, log: 3, debug: 4, verbose: 5 };
/** Keys a line's own fields may not overwrite. */
const RESERVED = new Set(['level', 'time', 'message', 'context']);

export interface AppLoggerOptions {
  format: LogFormat;
  /** lowest level written (LOG_LEVEL) */
  level: LogLevel;
  /** where lines go; stdout by default (tests capture them) */
  write?: (line: string) => void;
  /** clock, for tests */
  now?: () => Date;
}

/**
 * The one logger of the API and the worker: Nest's logger, the Temporal runtime logger and the
 * activities all write through it. One line per event, JSON (level, time, message, context and
 * fields) or pretty text; every line written inside withLogContext carries that context's fields
 * (an activity's workflow id, Temporal run id, run id, task id and attempt). Values pass through
 * the redaction of ./redact before they are written.
 */
export class AppLogger implements LoggerService {
  private readonly maxSeverity: number;
  private readonly out: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: AppLoggerOptions) {
    this.maxSeverity = SEVERITY[options.level];
    this.out = options.write ?? ((line) => void process.stdout.write(`${line}\n`));
    this.now = options.now ?? (() => new Date());
  }

  get format(): LogFormat {
    return this.options.format;
  }

  isEnabled(level: AppLogLevel): boolean {
    return SEVERITY[level] <= this.maxSeverity;
  }

  /** Writes one event. `fields` are merged into the line after the context's fields. */
  write(level: AppLogLevel, message: unknown, context?: string, fields?: Record<string, unknown>): void {
    if (!this.isEnabled(level)) return;
    const line: Record<string, unknown> = { level: LEVEL_NAME[level], time: this.now().toISOString() };
    let text: string;
    const extra: Record<string, unknown> = {};
    if (message instanceof Error) {
      text = message.message;
      extra.error = { type: message.name, stack: message.stack };
    } else if (typeof message === 'string') {
      text = message;
    } else {
      text = JSON.stringify(message) ?? String(message);
    }
    line.message = redactText(text);
    if (context) line.context = context;
    const merged = { ...currentLogContext(), ...fields, ...extra };
    const safe = redactValue(merged) as Record<string, unknown>;
    for (const [k, v] of Object.entries(safe)) if (v !== undefined && !RESERVED.has(k)) line[k] = v;
    this.out(this.options.format === 'json' ? JSON.stringify(line) : pretty(line));
  }

  /** A small logger bound to one context (the activities' ImportLogger, the SCIM client's logger). */
  forContext(context: string) {
    return {
      log: (message: string, fields?: object) => this.write('log', message, context, fields as Record<string, unknown>),
      warn: (message: string, fields?: object) => this.write('warn', message, context, fields as Record<string, unknown>),
      error: (message: string, fields?: object) => this.write('error', message, context, fields as Record<string, unknown>),
      debug: (message: string, fields?: object) => this.write('debug', message, context, fields as Record<string, unknown>),
    };
  }

  // ---- Nest LoggerService: (message, ...params, context) where params may hold an object or a stack ----

  log(message: unknown, ...params: unknown[]): void {
    this.nest('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.nest('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.nest('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.nest('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.nest('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.nest('fatal', message, params);
  }

  private nest(level: AppLogLevel, message: unknown, params: unknown[]): void {
    if (!this.isEnabled(level)) return;
    const rest = [...params];
    // Nest's Logger appends its context as the last argument
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = {};
    for (const p of rest) {
      if (p instanceof Error) fields.error = { type: p.name, message: p.message, stack: p.stack };
      else if (p !== null && typeof p === 'object') Object.assign(fields, p);
      else if (typeof p === 'string') fields[level === 'error' || level === 'fatal' ? 'stack' : 'detail'] = p;
      else if (p !== undefined) fields.detail = p;
    }
    this.write(level, message, context, fields);
  }
}

/** `12:00:00.123 INFO  [context] message  key=value …` */
function pretty(line: Record<string, unknown>): string {
  const { level, time, message, context, ...fields } = line as { level: string; time: string; message: string; context?: string };
  const { stack: ownStack, ...rest } = fields as Record<string, unknown> & { stack?: unknown };
  // an error's stack reads best on the lines below, as Nest's console logger prints it
  const error = rest.error as { stack?: unknown } | undefined;
  const stack = ownStack ?? error?.stack;
  if (error && typeof error.stack === 'string') {
    const { stack: _s, ...others } = error;
    rest.error = others;
    if (Object.keys(others).length === 0) delete rest.error;
  }
  const tail = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  const head = `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${context ? `[${context}] ` : ''}${message}`;
  return [tail ? `${head}  ${tail}` : head, typeof stack === 'string' ? stack : undefined].filter(Boolean).join('\n');
}

/** The application logger configured from AppConfig (LOG_FORMAT, LOG_LEVEL). */
export function createAppLogger(config: { logFormat: LogFormat; logLevel: LogLevel }, write?: (line: string) => void): AppLogger {
  return new AppLogger({ format: config.logFormat, level: config.logLevel, write });
}
