import { ConfigError, loadConfig, loadDevOverrides, resolveLogFormat } from './config';

const valid = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/db',
  SECRET_KEY: 'a'.repeat(64),
};

describe('loadConfig', () => {
  it('applies defaults for optional values', () => {
    const c = loadConfig(valid);
    expect(c.temporalAddress).toBe('localhost:7233');
    expect(c.temporalNamespace).toBe('default');
    expect(c.taskQueue).toBe('scim-import');
    expect(c.apiPort).toBe(3000);
    expect(c.secretKey).toHaveLength(32);
    expect(c.logLevel).toBe('log');
    expect(c.runReconcileIntervalMs).toBe(10_000);
    expect(c.stagingResumeWindowMs).toBe(72 * 3_600_000);
  });

  it('reads the run reconciliation interval and the staging resume window, and refuses nonsense', () => {
    const c = loadConfig({ ...valid, RUN_RECONCILE_INTERVAL_SECONDS: '2.5', STAGING_RESUME_WINDOW_HOURS: '0.5' });
    expect(c.runReconcileIntervalMs).toBe(2500);
    expect(c.stagingResumeWindowMs).toBe(1_800_000);
    expect(() => loadConfig({ ...valid, RUN_RECONCILE_INTERVAL_SECONDS: '-1' })).toThrow(/RUN_RECONCILE_INTERVAL_SECONDS/);
    expect(() => loadConfig({ ...valid, STAGING_RESUME_WINDOW_HOURS: 'forever' })).toThrow(/STAGING_RESUME_WINDOW_HOURS/);
  });

  it('accepts a base64 secret key', () => {
    const c = loadConfig({ ...valid, SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(c.secretKey.equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it('names every offending variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ API_PORT: 'eighty', SECRET_KEY: 'short', LOG_LEVEL: 'loud', TEMPORAL_ADDRESS: 'no-port', API_TOKEN: 'x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['DATABASE_URL', 'API_PORT', 'SECRET_KEY', 'LOG_LEVEL', 'TEMPORAL_ADDRESS', 'API_TOKEN']) {
      expect(message).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(6);
  });

  it('never echoes the secret key in its message', () => {
    const secret = 'not-a-valid-key-but-secret-looking-value-12345';
    expect(() => loadConfig({ ...valid, SECRET_KEY: secret })).toThrow(ConfigError);
    try {
      loadConfig({ ...valid, SECRET_KEY: secret });
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
    }
  });
});

describe('log format', () => {
  it('LOG_FORMAT chooses; otherwise JSON in production or off a terminal, pretty on a terminal', () => {
    expect(loadConfig({ ...valid, LOG_FORMAT: 'pretty', NODE_ENV: 'production' }).logFormat).toBe('pretty');
    expect(loadConfig({ ...valid, LOG_FORMAT: 'JSON' }).logFormat).toBe('json');
    expect(resolveLogFormat(undefined, 'production', true)).toBe('json');
    expect(resolveLogFormat(undefined, undefined, false)).toBe('json');
    expect(resolveLogFormat(undefined, 'development', true)).toBe('pretty');
    expect(() => loadConfig({ ...valid, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be one of json, pretty/);
  });

  it('the dev launcher hands pretty to its children unless LOG_FORMAT says otherwise', () => {
    expect(loadDevOverrides({}).logFormat).toBe('pretty');
    expect(loadDevOverrides({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadDevOverrides({ LOG_FORMAT: 'yaml' })).toThrow(ConfigError);
  });

  it('WORKER_METRICS_PORT defaults to 9464 and must be a port', () => {
    expect(loadConfig(valid).workerMetricsPort).toBe(9464);
    expect(loadConfig({ ...valid, WORKER_METRICS_PORT: '0' }).workerMetricsPort).toBe(0);
    expect(() => loadConfig({ ...valid, WORKER_METRICS_PORT: 'x' })).toThrow(/WORKER_METRICS_PORT/);
  });

  it('per-worker concurrency: 8 activities and 40 workflow tasks by default; integers within bounds, else a clear error', () => {
    expect(loadConfig(valid)).toMatchObject({ workerMaxConcurrentActivities: 8, workerMaxConcurrentWorkflowTasks: 40 });
    expect(loadConfig({ ...valid, WORKER_MAX_CONCURRENT_ACTIVITIES: ' 16 ', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '2' })).toMatchObject({
      workerMaxConcurrentActivities: 16,
      workerMaxConcurrentWorkflowTasks: 2,
    });
    expect(loadConfig({ ...valid, WORKER_MAX_CONCURRENT_ACTIVITIES: '1', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '500' })).toMatchObject({
      workerMaxConcurrentActivities: 1,
      workerMaxConcurrentWorkflowTasks: 500,
    });
    // empty means unset, as for every other variable
    expect(loadConfig({ ...valid, WORKER_MAX_CONCURRENT_ACTIVITIES: '' }).workerMaxConcurrentActivities).toBe(8);
    for (const bad of ['0', '65', '-1', '2.5', 'eight', '1e1', '0x10']) {
      expect(() => loadConfig({ ...valid, WORKER_MAX_CONCURRENT_ACTIVITIES: bad })).toThrow(`WORKER_MAX_CONCURRENT_ACTIVITIES must be an integer 1-64 (got "${bad}")`);
    }
    for (const bad of ['1', '501', 'many', '4.0']) {
      expect(() => loadConfig({ ...valid, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: bad })).toThrow(`WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be an integer 2-500 (got "${bad}")`);
    }
    // both named in one error
    try {
      loadConfig({ ...valid, WORKER_MAX_CONCURRENT_ACTIVITIES: '0', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '0' });
      throw new Error('accepted');
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'WORKER_MAX_CONCURRENT_ACTIVITIES must be an integer 1-64 (got "0")',
        'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be an integer 2-500 (got "0")',
      ]);
    }
  });

  it('page threads: none by default (pages are digested on the event loop); 0-32, else a clear error', () => {
    expect(loadConfig(valid).workerPageThreads).toBe(0);
    expect(loadConfig({ ...valid, WORKER_PAGE_THREADS: '3' }).workerPageThreads).toBe(3);
    expect(loadConfig({ ...valid, WORKER_PAGE_THREADS: '32' }).workerPageThreads).toBe(32);
    for (const bad of ['-1', '33', 'many', '1.5']) {
      expect(() => loadConfig({ ...valid, WORKER_PAGE_THREADS: bad })).toThrow(`WORKER_PAGE_THREADS must be an integer 0-32 (got "${bad}")`);
    }
  });

  it('preview bounds: 30 s deadline, 2 at once, 16 MiB answers by default; nonsense refused', () => {
    expect(loadConfig(valid)).toMatchObject({ previewTimeoutMs: 30_000, previewMaxConcurrent: 2, previewMaxResponseBytes: 16 * 1024 * 1024 });
    expect(loadConfig({ ...valid, PREVIEW_TIMEOUT_SECONDS: '2.5', PREVIEW_MAX_CONCURRENT: '4', PREVIEW_MAX_RESPONSE_BYTES: '1048576' })).toMatchObject({
      previewTimeoutMs: 2500,
      previewMaxConcurrent: 4,
      previewMaxResponseBytes: 1_048_576,
    });
    expect(() => loadConfig({ ...valid, PREVIEW_TIMEOUT_SECONDS: '0' })).toThrow(/PREVIEW_TIMEOUT_SECONDS/);
    expect(() => loadConfig({ ...valid, PREVIEW_MAX_CONCURRENT: '0' })).toThrow(/PREVIEW_MAX_CONCURRENT/);
    expect(() => loadConfig({ ...valid, PREVIEW_MAX_RESPONSE_BYTES: '1e9' })).toThrow(/PREVIEW_MAX_RESPONSE_BYTES/);
  });

  it('OUTBOUND_ALLOWED_NETWORKS is empty by default and takes CIDRs, addresses and host names', () => {
    expect(loadConfig(valid).outboundAllowedNetworks).toEqual([]);
    expect(loadConfig({ ...valid, OUTBOUND_ALLOWED_NETWORKS: ' 127.0.0.0/8, ::1 ,fd00::/8,scim.internal, 169.254.169.254 ' }).outboundAllowedNetworks).toEqual([
      '127.0.0.0/8',
      '::1',
      'fd00::/8',
      'scim.internal',
      '169.254.169.254',
    ]);
    for (const bad of ['127.0.0.0/33', '::1/129', 'http://x', '10.0.0.0/8/1', '1.2.3.4/x']) {
      expect(() => loadConfig({ ...valid, OUTBOUND_ALLOWED_NETWORKS: bad })).toThrow(/OUTBOUND_ALLOWED_NETWORKS/);
    }
  });

  it('the dev launcher allows loopback (its demo SCIM source) on top of any OUTBOUND_ALLOWED_NETWORKS', () => {
    expect(loadDevOverrides({}).outboundAllowedNetworks).toBe('127.0.0.0/8,::1');
    expect(loadDevOverrides({ OUTBOUND_ALLOWED_NETWORKS: '10.1.2.3' }).outboundAllowedNetworks).toBe('10.1.2.3,127.0.0.0/8,::1');
  });

  it('Worker Versioning: WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID together, or neither', () => {
    expect(loadConfig(valid).workerDeployment).toBeUndefined();
    expect(loadConfig({ ...valid, WORKER_DEPLOYMENT_NAME: 'scim-import', WORKER_BUILD_ID: ' 2026.12.06-ab12cd ' }).workerDeployment).toEqual({
      deploymentName: 'scim-import',
      buildId: '2026.12.06-ab12cd',
    });
    expect(() => loadConfig({ ...valid, WORKER_DEPLOYMENT_NAME: 'scim-import' })).toThrow('WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID go together');
    expect(() => loadConfig({ ...valid, WORKER_BUILD_ID: 'v2' })).toThrow('WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID go together');
    expect(() => loadConfig({ ...valid, WORKER_DEPLOYMENT_NAME: 'scim.import', WORKER_BUILD_ID: 'v2' })).toThrow('WORKER_DEPLOYMENT_NAME must be 1-100 letters');
    expect(() => loadConfig({ ...valid, WORKER_DEPLOYMENT_NAME: 'scim-import', WORKER_BUILD_ID: 'v 2' })).toThrow('WORKER_BUILD_ID must be 1-100 letters');
  });
  it('WEBHOOK_RETRY_INITIAL_SECONDS: the first wait of a failed webhook delivery, 5 s by default', () => {
    expect(loadConfig(valid).webhookRetryInitialMs).toBe(5000);
    expect(loadConfig({ ...valid, WEBHOOK_RETRY_INITIAL_SECONDS: '0.5' }).webhookRetryInitialMs).toBe(500);
    for (const bad of ['0', '-1', 'soon', '3601']) expect(() => loadConfig({ ...valid, WEBHOOK_RETRY_INITIAL_SECONDS: bad })).toThrow(/WEBHOOK_RETRY_INITIAL_SECONDS/);
  });
});
