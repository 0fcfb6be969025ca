import { isIP } from 'node:net';

/**
 * The one place that reads the environment. Everything else receives an AppConfig.
 * Invalid or missing values stop start-up with a single message naming every offender.
 */
export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';
/** `json`: one JSON object per line (production); `pretty`: coloured text for people (npm run dev). */
export type LogFormat = 'json' | 'pretty';

/**
 * The worker's heap cap in MB: its start command runs `node --max-old-space-size=<this>` (the worker's
 * WORKER_NODE_FLAGS, package.json, docker-compose.yml; a test keeps them equal), and the API refuses a
 * connector maxResponseBytes that a worker of this heap cannot hold. A worker with another heap derives
 * its own page limit from its real heap. Raising it: docs/operations.md, worker sizing.
 */
export const WORKER_HEAP_MB = 384;

export interface AppConfig {
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  apiPort: number;
  /** 32-byte key for AES-256-GCM encryption of connector secrets */
  secretKey: Buffer;
  /** optional bootstrap admin token */
  apiToken?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  temporalUiUrl: string;
  /** how often the API brings 'running' run rows in line with Temporal (0 = only at read and run-now) */
  runReconcileIntervalMs: number;
  /** how long failed and cancelled runs keep their staging so that they can be resumed */
  stagingResumeWindowMs: number;
  /** port of the worker's Prometheus endpoint (/metrics); 0 turns it off */
  workerMetricsPort: number;
  /** a task preview's overall deadline; past it the preview stops reading and answers 504 */
  previewTimeoutMs: number;
  /** task previews the API serves at once; more answer 429 */
  previewMaxConcurrent: number;
  /** largest SCIM answer a preview reads, in bytes (below the connector's maxResponseBytes: a preview samples few records) */
  previewMaxResponseBytes: number;
  /**
   * CIDRs, IP addresses or host names that connector base URLs and OAuth2 token URLs may reach
   * although they are loopback, link-local or a cloud metadata address (refused otherwise):
   * OUTBOUND_ALLOWED_NETWORKS, comma-separated, empty by default
   */
  outboundAllowedNetworks: string[];
  /** activity tasks one worker process runs at once (WORKER_MAX_CONCURRENT_ACTIVITIES) */
  workerMaxConcurrentActivities: number;
  /** workflow tasks one worker process runs at once (WORKER_MAX_CONCURRENT_WORKFLOW_TASKS) */
  workerMaxConcurrentWorkflowTasks: number;
  /**
   * worker threads that parse, map and hash list pages (WORKER_PAGE_THREADS); 0, the default,
   * does it on the event loop, which measured as fast on 2 cores (docs/operations.md#page-threads)
   */
  workerPageThreads: number;
  /**
   * Worker Versioning: the worker deployment and build id this worker's code is
   * (WORKER_DEPLOYMENT_NAME + WORKER_BUILD_ID, both or neither; unset: an unversioned worker)
   */
  workerDeployment?: { deploymentName: string; buildId: string };
  /**
   * first wait before a failed webhook delivery is tried again (WEBHOOK_RETRY_INITIAL_SECONDS,
   * default 5); the wait doubles up to an hour and deliveries are retried for 25 hours
   */
  webhookRetryInitialMs: number;
}

/**
 * Bounds of the per-worker concurrency limits. Activities: they share the process's 20 database
 * connections (load alone writes on two) and its page budget, so far above 8 they queue inside the
 * process instead of working; scale out with more worker processes (docs/operations.md). Workflow tasks: the SDK needs at least 2
 * (sticky cache); they are short and CPU-bound, so a few hundred is already far more than 2 cores use.
 */
export const WORKER_CONCURRENCY_LIMITS = {
  activities: { min: 1, max: 64, default: 8 },
  workflowTasks: { min: 2, max: 500, default: 40 },
  pageThreads: { min: 0, max: 32, default: 0 },
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];
const LOG_FORMATS: LogFormat[] = ['json', 'pretty'];

/**
 * LOG_FORMAT when set; otherwise JSON in production and whenever stdout is not a terminal (a log
 * shipper or a pipe reads it), pretty text in a terminal.
 */
export function resolveLogFormat(value: string | undefined, nodeEnv: string | undefined, stdoutIsTTY: boolean): LogFormat | undefined {
  if (value !== undefined) {
    const format = value.toLowerCase() as LogFormat;
    return LOG_FORMATS.includes(format) ? format : undefined;
  }
  return nodeEnv === 'production' || !stdoutIsTTY ? 'json' : 'pretty';
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Whether an OUTBOUND_ALLOWED_NETWORKS entry is a CIDR (`127.0.0.0/8`, `::1/128`), an IP address or a host name. */
export function isNetworkEntry(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address.replace(/^\[|\]$/g, ''));
  if (rest.length > 0) return false;
  if (prefix !== undefined) return family !== 0 && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
  return family !== 0 || HOST_NAME.test(address);
}

/** Decodes SECRET_KEY given as 64 hex characters or base64 of 32 bytes. */
export function decodeSecretKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const buf = Buffer.from(value, 'base64');
    if (buf.length === 32) return buf;
  }
  return undefined;
}

/** Builds the validated configuration from an environment map (process.env by default). */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const problems: string[] = [];
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const databaseUrl = get('DATABASE_URL');
  if (!databaseUrl) problems.push('DATABASE_URL is required (e.g. postgres://user:password@localhost:5432/scim_import)');
  else if (!/^postgres(ql)?:\/\/.+/.test(databaseUrl)) problems.push('DATABASE_URL must be a postgres:// URL');

  const temporalAddress = get('TEMPORAL_ADDRESS') ?? 'localhost:7233';
  if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(temporalAddress)) problems.push(`TEMPORAL_ADDRESS must be host:port (got "${temporalAddress}")`);

  const temporalNamespace = get('TEMPORAL_NAMESPACE') ?? 'default';
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(temporalNamespace)) problems.push('TEMPORAL_NAMESPACE must be a Temporal namespace name');

  const taskQueue = get('TASK_QUEUE') ?? 'scim-import';
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(taskQueue)) problems.push('TASK_QUEUE must contain only letters, digits, ".", "_" and "-"');

  const portText = get('API_PORT') ?? '3000';
  const apiPort = Number(portText);
  if (!/^\d+$/.test(portText) || apiPort < 0 || apiPort > 65535) problems.push(`API_PORT must be a port number 0-65535 (got "${portText}")`);

  const secretText = get('SECRET_KEY');
  let secretKey: Buffer | undefined;
  if (!secretText) problems.push('SECRET_KEY is required: 32 random bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)');
  else {
    secretKey = decodeSecretKey(secretText);
    if (!secretKey) problems.push('SECRET_KEY must be 32 bytes, given as 64 hex characters or base64');
  }

  const apiToken = get('API_TOKEN');
  if (apiToken !== undefined && apiToken.length < 24) problems.push('API_TOKEN must be at least 24 characters');

  const logLevel = (get('LOG_LEVEL') ?? 'log').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const logFormat = resolveLogFormat(get('LOG_FORMAT'), get('NODE_ENV'), process.stdout.isTTY === true);
  if (!logFormat) problems.push(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}`);

  const metricsPortText = get('WORKER_METRICS_PORT') ?? '9464';
  const workerMetricsPort = Number(metricsPortText);
  if (!/^\d+$/.test(metricsPortText) || workerMetricsPort > 65535) problems.push(`WORKER_METRICS_PORT must be a port number 0-65535 (got "${metricsPortText}")`);

  const temporalUiUrl = (get('TEMPORAL_UI_URL') ?? 'http://localhost:8233').replace(/\/+$/, '');
  if (!/^https?:\/\/.+/.test(temporalUiUrl)) problems.push('TEMPORAL_UI_URL must be an http(s) URL');

  const reconcileText = get('RUN_RECONCILE_INTERVAL_SECONDS') ?? '10';
  const reconcileSeconds = Number(reconcileText);
  if (!/^\d+(\.\d+)?$/.test(reconcileText) || reconcileSeconds > 3600) problems.push(`RUN_RECONCILE_INTERVAL_SECONDS must be a number of seconds 0-3600 (got "${reconcileText}")`);

  const windowText = get('STAGING_RESUME_WINDOW_HOURS') ?? '72';
  const windowHours = Number(windowText);
  if (!/^\d+(\.\d+)?$/.test(windowText) || windowHours > 24 * 365) problems.push(`STAGING_RESUME_WINDOW_HOURS must be a number of hours 0-8760 (got "${windowText}")`);

  const previewTimeoutText = get('PREVIEW_TIMEOUT_SECONDS') ?? '30';
  const previewTimeoutSeconds = Number(previewTimeoutText);
  if (!/^\d+(\.\d+)?$/.test(previewTimeoutText) || previewTimeoutSeconds < 1 || previewTimeoutSeconds > 600) problems.push(`PREVIEW_TIMEOUT_SECONDS must be a number of seconds 1-600 (got "${previewTimeoutText}")`);

  const previewConcurrentText = get('PREVIEW_MAX_CONCURRENT') ?? '2';
  const previewMaxConcurrent = Number(previewConcurrentText);
  if (!/^\d+$/.test(previewConcurrentText) || previewMaxConcurrent < 1 || previewMaxConcurrent > 100) problems.push(`PREVIEW_MAX_CONCURRENT must be an integer 1-100 (got "${previewConcurrentText}")`);

  const previewBytesText = get('PREVIEW_MAX_RESPONSE_BYTES') ?? String(16 * 1024 * 1024);
  const previewMaxResponseBytes = Number(previewBytesText);
  if (!/^\d+$/.test(previewBytesText) || previewMaxResponseBytes < 65_536 || previewMaxResponseBytes > 128 * 1024 * 1024) problems.push(`PREVIEW_MAX_RESPONSE_BYTES must be a number of bytes 65536-134217728 (got "${previewBytesText}")`);

  const outboundAllowedNetworks = (get('OUTBOUND_ALLOWED_NETWORKS') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const badNetworks = outboundAllowedNetworks.filter((e) => !isNetworkEntry(e));
  if (badNetworks.length > 0) {
    problems.push(`OUTBOUND_ALLOWED_NETWORKS must be a comma-separated list of CIDRs, IP addresses or host names (not ${badNetworks.map((e) => `"${e}"`).join(', ')})`);
  }

  const limit = (name: string, bounds: { min: number; max: number; default: number }): number => {
    const text = get(name) ?? String(bounds.default);
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < bounds.min || n > bounds.max) problems.push(`${name} must be an integer ${bounds.min}-${bounds.max} (got "${text}")`);
    return n;
  };
  const workerMaxConcurrentActivities = limit('WORKER_MAX_CONCURRENT_ACTIVITIES', WORKER_CONCURRENCY_LIMITS.activities);
  const workerMaxConcurrentWorkflowTasks = limit('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', WORKER_CONCURRENCY_LIMITS.workflowTasks);
  const workerPageThreads = limit('WORKER_PAGE_THREADS', WORKER_CONCURRENCY_LIMITS.pageThreads);

  const webhookRetryText = get('WEBHOOK_RETRY_INITIAL_SECONDS') ?? '5';
  const webhookRetrySeconds = Number(webhookRetryText);
  if (!/^\d+(\.\d+)?$/.test(webhookRetryText) || webhookRetrySeconds < 0.1 || webhookRetrySeconds > 3600) {
    problems.push(`WEBHOOK_RETRY_INITIAL_SECONDS must be a number of seconds 0.1-3600 (got "${webhookRetryText}")`);
  }

  const deploymentName = get('WORKER_DEPLOYMENT_NAME');
  const buildId = get('WORKER_BUILD_ID');
  if ((deploymentName === undefined) !== (buildId === undefined)) {
    problems.push('WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID go together: set both for Worker Versioning, or neither');
  }
  // the server writes a version as "<deployment>.<build id>": the deployment name has no dot
  if (deploymentName !== undefined && !/^[A-Za-z0-9_-]{1,100}$/.test(deploymentName)) {
    problems.push(`WORKER_DEPLOYMENT_NAME must be 1-100 letters, digits, "_" or "-" (got "${deploymentName}")`);
  }
  if (buildId !== undefined && !/^[A-Za-z0-9._+-]{1,100}$/.test(buildId)) problems.push(`WORKER_BUILD_ID must be 1-100 letters, digits, ".", "_", "+" or "-" (got "${buildId}")`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl: databaseUrl as string,
    temporalAddress,
    temporalNamespace,
    taskQueue,
    apiPort,
    secretKey: secretKey as Buffer,
    apiToken,
    logLevel,
    logFormat: logFormat as LogFormat,
    temporalUiUrl,
    runReconcileIntervalMs: Math.round(reconcileSeconds * 1000),
    stagingResumeWindowMs: Math.round(windowHours * 3_600_000),
    previewTimeoutMs: Math.round(previewTimeoutSeconds * 1000),
    previewMaxConcurrent,
    previewMaxResponseBytes,
    workerMetricsPort,
    outboundAllowedNetworks,
    workerMaxConcurrentActivities,
    workerMaxConcurrentWorkflowTasks,
    workerPageThreads,
    webhookRetryInitialMs: Math.round(webhookRetrySeconds * 1000),
    ...(deploymentName !== undefined && buildId !== undefined ? { workerDeployment: { deploymentName, buildId } } : {}),
  };
}

/** Nest log levels enabled at and above the configured level. */
export function nestLogLevels(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}

/** Loopback, where the dev stack's demo SCIM source listens (refused elsewhere unless allowed). */
const DEV_LOOPBACK = '127.0.0.0/8,::1';

/** What the dev launcher needs from the environment: services to use instead of starting its own. */
export interface DevOverrides {
  databaseUrl?: string;
  temporalAddress?: string;
  apiPort: number;
  scimDemoPort: number;
  /** log format of the API and worker it starts: LOG_FORMAT, else pretty */
  logFormat: LogFormat;
  /** OUTBOUND_ALLOWED_NETWORKS for the API and worker it starts: loopback (the demo SCIM source runs there) plus any given */
  outboundAllowedNetworks: string;
}

/** Reads the dev launcher's overrides (DATABASE_URL, TEMPORAL_ADDRESS, API_PORT, SCIM_DEMO_PORT, LOG_FORMAT, OUTBOUND_ALLOWED_NETWORKS). */
export function loadDevOverrides(env: Record<string, string | undefined> = process.env): DevOverrides {
  const problems: string[] = [];
  const port = (name: string, fallback: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 65535) problems.push(`${name} must be a port number 1-65535 (got "${raw}")`);
    return n;
  };
  const overrides: DevOverrides = {
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    temporalAddress: env.TEMPORAL_ADDRESS?.trim() || undefined,
    apiPort: port('API_PORT', 3000),
    scimDemoPort: port('SCIM_DEMO_PORT', 8880),
    // the children write to pipes, which would make them default to JSON; people read this terminal
    logFormat: resolveLogFormat(env.LOG_FORMAT?.trim() || undefined, undefined, true) ?? 'pretty',
    outboundAllowedNetworks: [env.OUTBOUND_ALLOWED_NETWORKS?.trim(), DEV_LOOPBACK].filter(Boolean).join(','),
  };
  if (env.LOG_FORMAT?.trim() && !resolveLogFormat(env.LOG_FORMAT.trim(), undefined, true)) problems.push(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}`);
  if (problems.length) throw new ConfigError(problems);
  return overrides;
}

/** The environment passed to child processes (the launcher hands config down this way). */
export function childEnvironment(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return { ...out, ...extra };
}

/** Runs a loader; a ConfigError ends the process with its message (no stack trace), exit code 1. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
