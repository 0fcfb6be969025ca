import { encodeCursor } from '../common/cursor';
import type { ProblemException } from '../common/problem';
import { parseRunListQuery } from './run-list-query';

const TASK = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

function fieldsOf(query: Record<string, string | string[] | undefined>): string[] {
  try {
    parseRunListQuery(query);
  } catch (err) {
    const body = (err as ProblemException).getResponse() as { status: number; errors: Array<{ field: string }> };
    expect(body.status).toBe(400);
    return body.errors.map((e) => e.field);
  }
  throw new Error('expected a 400');
}

describe('parseRunListQuery', () => {
  it('reads every filter', () => {
    const after = { startedAt: '2025-03-01T10:00:00.123456Z', id: TASK };
    expect(
      parseRunListQuery({
        taskId: TASK.toUpperCase(),
        connectorId: TASK,
        status: 'failed, succeeded,failed',
        trigger: 'manual',
        mode: 'full',
        dryRun: 'false',
        startedAfter: '2025-03-01',
        startedBefore: '2025-03-02T10:00:00+02:00',
        limit: '200',
        cursor: encodeCursor(after),
      }),
    ).toEqual({
      filter: {
        taskId: TASK,
        connectorId: TASK,
        statuses: ['failed', 'succeeded'],
        trigger: 'manual',
        mode: 'full',
        dryRun: false,
        startedAfter: '2025-03-01T00:00:00.000Z',
        startedBefore: '2025-03-02T08:00:00.000Z',
      },
      limit: 200,
      after,
    });
  });

  it('defaults to 50 runs and no filter; an empty cursor is the first page, as elsewhere', () => {
    expect(parseRunListQuery({})).toEqual({ filter: {}, limit: 50 });
    expect(parseRunListQuery({ cursor: '' })).toEqual({ filter: {}, limit: 50 });
  });

  it('takes status repeated as well as comma-separated', () => {
    expect(parseRunListQuery({ status: ['running', 'timedOut,terminated'] }).filter.statuses).toEqual(['running', 'timedOut', 'terminated']);
  });

  it('lists every bad parameter at once, each by its name', () => {
    expect(
      fieldsOf({ taskId: 'nope', connectorId: '1', status: 'failed,broken', trigger: 'cron', mode: 'delta', dryRun: 'yes', startedAfter: 'yesterday', startedBefore: '2025-02-30', limit: '0', cursor: 'garbage' }),
    ).toEqual(['taskId', 'connectorId', 'status', 'trigger', 'mode', 'dryRun', 'startedAfter', 'startedBefore', 'limit', 'cursor']);
  });

  it.each([
    ['limit', '201'],
    ['limit', '1.5'],
    ['limit', ' 5'],
    ['startedAfter', '2025-03-01T10:00:00'],
    ['startedAfter', '2025-03-01T24:00:00Z'],
    ['status', ''],
    ['cursor', encodeCursor({ startedAt: '2025-03-01T10:00:00Z', id: TASK })],
    ['cursor', encodeCursor({ id: TASK })],
  ])('refuses %s=%j', (field, value) => {
    expect(fieldsOf({ [field]: value })).toEqual([field]);
  });

  it('refuses a filter given twice, an empty window and a parameter that is no filter', () => {
    expect(fieldsOf({ mode: ['full', 'incremental'] })).toEqual(['mode']);
    expect(fieldsOf({ startedAfter: '2025-03-02', startedBefore: '2025-03-01' })).toEqual(['startedBefore']);
    expect(fieldsOf({ statuses: 'failed' })).toEqual(['statuses']);
  });
});
