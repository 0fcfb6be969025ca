import { AppLogger } from './app-logger';
import { withLogContext } from './log-context';
import { temporalRuntimeLogger } from './temporal-runtime-logger';

function capture(format: 'json' | 'pretty' = 'json', level: 'log' | 'debug' = 'log') {
  const lines: string[] = [];
  const logger = new AppLogger({ format, level, write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05.678Z') });
  return { logger, lines, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('AppLogger', () => {
  it('writes one JSON object per event with level, time, message, context and fields', () => {
    const { logger, events } = capture();
    logger.log('run started', { runId: 'r1' }, 'activities');
    logger.warn('slow page', 'extract');
    expect(events()).toEqual([
      { level: 'info', time: '2026-01-02T03:04:05.678Z', message: 'run started', context: 'activities', runId: 'r1' },
      { level: 'warn', time: '2026-01-02T03:04:05.678Z', message: 'slow page', context: 'extract' },
    ]);
  });

  it('keeps a multi-line message and an error stack on one line', () => {
    const { logger, lines, events } = capture();
    logger.error('failed\nbadly', 'Error: x\n    at y', 'api');
    expect(lines).toHaveLength(1);
    expect(events()[0]).toMatchObject({ level: 'error', message: 'failed\nbadly', context: 'api', stack: 'Error: x\n    at y' });
  });

  it('drops events below LOG_LEVEL', () => {
    const { logger, lines } = capture('json', 'log');
    logger.debug('noise', 'x');
    logger.verbose('more noise', 'x');
    expect(lines).toEqual([]);
  });

  it('adds the fields of the enclosing log context, also in callbacks started inside it', async () => {
    const { logger, events } = capture();
    await withLogContext({ workflowId: 'wf', runId: 'r1', taskId: 't1', attempt: 2 }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      logger.log('inside', 'activities');
    });
    logger.log('outside', 'activities');
    expect(events()[0]).toMatchObject({ message: 'inside', workflowId: 'wf', runId: 'r1', taskId: 't1', attempt: 2 });
    expect(events()[1].runId).toBeUndefined();
  });

  it('masks credentials: secret-named fields, URL user-info, secret query values, authorization values', () => {
    const { logger, lines } = capture();
    logger.warn('GET https://svc:hunter2pass@scim.example.com/Users?access_token=tok-123456&count=10 failed', {
      password: 'hunter2pass',
      clientSecret: 'cs-abcdef',
      headers: { Authorization: 'Bearer abcdef123456' },
      detail: 'sent Basic c3ZjOmh1bnRlcjJwYXNz',
      secretSet: true,
    }, 'scim');
    const line = lines[0];
    for (const secret of ['hunter2pass', 'tok-123456', 'cs-abcdef', 'abcdef123456', 'c3ZjOmh1bnRlcjJwYXNz']) expect(line).not.toContain(secret);
    const e = JSON.parse(line) as Record<string, unknown>;
    expect(e.message).toBe('GET https://scim.example.com/Users?access_token=***&count=10 failed');
    expect(e).toMatchObject({ password: '***', clientSecret: '***', headers: { Authorization: '***' }, detail: 'sent Basic ***', secretSet: true });
  });

  it('pretty format: one readable line per event with its fields', () => {
    const { logger, lines } = capture('pretty');
    logger.log('run started', { runId: 'r1', note: 'two words' }, 'activities');
    expect(lines).toEqual(['03:04:05.678 INFO  [activities] run started  runId=r1 note="two words"']);
    logger.error(new Error('boom'), 'worker');
    expect(lines[1].split('\n')[0]).toBe('03:04:05.678 ERROR [worker] boom  error={"type":"Error"}');
    expect(lines[1].split('\n')[1]).toBe('Error: boom');
  });
});

describe('temporalRuntimeLogger', () => {
  it('renames the SDK ids to ours, drops the task token and the argument-less "Activity started"', () => {
    const { logger, events } = capture('json', 'debug');
    const sdk = temporalRuntimeLogger(logger);
    sdk.debug('Activity started', { activityType: 'extract', workflowRunId: 't-run' });
    sdk.debug('Activity completed', { sdkComponent: 'worker', activityType: 'extract', workflowId: 'wf', workflowRunId: 't-run', taskToken: 'AAAA', runId: 'r1', attempt: 1 });
    sdk.debug('Workflow started', { sdkComponent: 'worker', workflowType: 'importTask', workflowId: 'wf', runId: 't-run' });
    sdk.info('Worker state changed', { state: 'RUNNING' });
    expect(events()).toEqual([
      expect.objectContaining({ message: 'Activity completed', context: 'temporal.worker', temporalRunId: 't-run', runId: 'r1', attempt: 1 }),
      expect.objectContaining({ message: 'Workflow started', temporalRunId: 't-run', workflowType: 'importTask' }),
      expect.objectContaining({ message: 'Worker state changed', level: 'debug' }),
    ]);
    expect(events()[0].taskToken).toBeUndefined();
    expect(events()[1].runId).toBeUndefined();
  });
});
