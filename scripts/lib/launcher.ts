/**
 * What the one-terminal launchers (`npm run dev`, `npm run prod:local`) share: tagged output lines,
 * secrets generated once and kept, the health wait, the banner, and a shutdown that stops the
 * supervised children first and then every other started piece in reverse order of start.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Supervisor } from './supervise';

const COLORS: Record<string, string> = {
  api: '\x1b[36m',
  worker: '\x1b[35m',
  'worker-1': '\x1b[35m',
  'worker-2': '\x1b[95m',
  temporal: '\x1b[33m',
  'temporal-ui': '\x1b[93m',
  postgres: '\x1b[34m',
  dev: '\x1b[32m',
  prod: '\x1b[32m',
  migrate: '\x1b[96m',
  scim: '\x1b[90m',
};
const RESET = '\x1b[0m';

/** Writes `[source] line` to stdout, the tag coloured when stdout is a terminal. */
export function say(source: string, line: string): void {
  const color = COLORS[source] ?? '';
  const tag = process.stdout.isTTY && color ? `${color}[${source}]${RESET}` : `[${source}]`;
  process.stdout.write(`${tag} ${line}\n`);
}

/** Forwards a child's stdout and stderr line by line under `source`. */
export function pipeLines(source: string, child: ChildProcess, to: (source: string, line: string) => void = say): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) to(source, line);
    });
  }
}

/** Secrets generated once and kept in `file` (mode 600) so the next start reuses them. */
export function keptSecrets<T extends object>(file: string, generate: () => T): T {
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<T>) : {};
  const secrets = { ...generate(), ...kept };
  // a secret added since the file was written is kept from now on too
  if (Object.keys(secrets).length !== Object.keys(kept).length) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** A random secret of `bytes` bytes, base64url (safe in URLs, YAML and shell words). */
export const randomSecret = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Polls `url` until it answers 2xx; false after timeoutMs. */
export async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** The lines both launchers print once the API is healthy (`extra` goes after the admin token). */
export function stackBanner(opts: {
  apiUrl: string;
  temporalUiUrl: string;
  workerMetrics: string;
  adminToken: string;
  extra?: string[];
  footer: string;
}): string[] {
  return [
    '',
    '  scim-import is running',
    `  Console      ${opts.apiUrl}/`,
    `  API          ${opts.apiUrl}/api/v1`,
    `  OpenAPI      ${opts.apiUrl}/docs`,
    `  Health       ${opts.apiUrl}/health`,
    `  Temporal UI  ${opts.temporalUiUrl}`,
    `  Metrics      ${opts.apiUrl}/metrics (API), ${opts.workerMetrics}`,
    `  Admin token  ${opts.adminToken}`,
    ...(opts.extra ?? []),
    '',
    `  ${opts.footer}`,
    '',
  ];
}

export interface Launcher {
  /** children kept running (stopped first, all at once) */
  supervised(supervisor: Supervisor): Supervisor;
  /** servers kept running that the supervised children need: stopped after them, with the other stops */
  service(supervisor: Supervisor): Supervisor;
  /** anything else started (stopped after the supervised children, newest first) */
  onStop(stop: () => Promise<void>): void;
  /** stops everything and exits the process with `code` */
  shutdown(code: number): Promise<void>;
}

/**
 * Shutdown bookkeeping, with SIGINT and SIGTERM wired to it: supervised children (the API and the
 * workers) stop first, then what they depend on (services and other stops) in reverse order of
 * start, then the process exits. A SIGTERM to the launcher alone stops the pieces in that order;
 * Ctrl-C at a terminal also signals every child directly, so they end together.
 */
export function createLauncher(tag: string): Launcher {
  const supervisors: Supervisor[] = [];
  const services: Supervisor[] = [];
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const launcher: Launcher = {
    supervised(s) {
      supervisors.push(s);
      return s;
    },
    service(s) {
      services.push(s);
      stops.push(() => s.stop());
      return s;
    },
    onStop(stop) {
      stops.push(stop);
    },
    async shutdown(code) {
      if (stopping) return;
      stopping = true;
      say(tag, 'stopping ...');
      // Ctrl-C reaches every child of the terminal's process group at once: none is started again
      for (const s of [...supervisors, ...services]) s.noMoreRestarts();
      await Promise.all(supervisors.map((s) => s.stop()));
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          say(tag, `stop step failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      say(tag, 'stopped');
      process.exit(code);
    },
  };
  process.on('SIGINT', () => void launcher.shutdown(0));
  process.on('SIGTERM', () => void launcher.shutdown(0));
  return launcher;
}
