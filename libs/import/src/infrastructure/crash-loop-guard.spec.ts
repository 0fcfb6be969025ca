import { describePosition, judgeAttempt, type AttemptInfo } from './crash-loop-guard';

const attempt = (n: number, position: unknown): AttemptInfo => ({ workflowRunId: 'wf', activityId: '7', activityType: 'extract', attempt: n, position });
const page3 = { resource: 'identity', position: { startIndex: 5 }, pages: 2, fullRead: true };

describe('judgeAttempt', () => {
  it('runs the first attempt, and a retry after a thrown error without counting it', () => {
    expect(judgeAttempt(undefined, attempt(1, undefined))).toEqual({ crashes: 0, crashPosition: null, run: true });
    expect(judgeAttempt({ attempt: 1, open: false, crashes: 0, crash_position: null }, attempt(2, page3))).toMatchObject({ crashes: 0, run: true });
  });

  it('counts an attempt left open as a crash, and stops at the second crash at the same position', () => {
    const first = judgeAttempt({ attempt: 1, open: true, crashes: 0, crash_position: null }, attempt(2, page3));
    expect(first).toEqual({ crashes: 1, crashPosition: page3, run: true });
    // the same details, keys in another order: the same position
    const samePlace = { fullRead: true, pages: 2, position: { startIndex: 5 }, resource: 'identity' };
    expect(judgeAttempt({ attempt: 2, open: true, crashes: 1, crash_position: page3 }, attempt(3, samePlace))).toEqual({ crashes: 2, crashPosition: samePlace, run: false });
  });

  it('starts the count over when the crashed attempt got further', () => {
    const further = { ...page3, pages: 9 };
    expect(judgeAttempt({ attempt: 2, open: true, crashes: 1, crash_position: page3 }, attempt(3, further))).toEqual({ crashes: 1, crashPosition: further, run: true });
  });

  it('keeps the crash count across a thrown error in between', () => {
    expect(judgeAttempt({ attempt: 2, open: false, crashes: 1, crash_position: page3 }, attempt(3, page3))).toEqual({ crashes: 1, crashPosition: page3, run: true });
    expect(judgeAttempt({ attempt: 3, open: true, crashes: 1, crash_position: page3 }, attempt(4, page3))).toMatchObject({ crashes: 2, run: false });
  });
});

describe('describePosition', () => {
  it('names the page of extract and the batch of load', () => {
    expect(describePosition(page3)).toBe('while reading page 3 of identity (after 2 pages were staged)');
    expect(describePosition({ resource: 'access', batches: 4 })).toBe('while writing batch 5 of access');
    expect(describePosition(undefined)).toBe('before its first progress report');
  });
});
