import { HEAP_RESERVE_BYTES, memberLimitForHeap, PAGE_HEAP_MULTIPLIER, PageBudget, pageLimitForHeap } from './worker-memory';

const MiB = 1024 * 1024;

describe('worker memory limits', () => {
  it('derive the page limit from the heap: what is left after the reserve, per page byte', () => {
    // node --max-old-space-size=384 reports a heap_size_limit of 432 MiB
    expect(pageLimitForHeap(432 * MiB)).toBe(76 * MiB);
    // the API's bound for the documented 384 MB heap
    expect(pageLimitForHeap(384 * MiB)).toBe(64 * MiB);
    expect(pageLimitForHeap(4096 * MiB)).toBe(Math.floor((4096 * MiB - HEAP_RESERVE_BYTES) / PAGE_HEAP_MULTIPLIER / MiB) * MiB);
    expect(memberLimitForHeap(432 * MiB)).toBe(265_639);
  });
});

describe('PageBudget', () => {
  it('holds reservations up to its capacity; the next waits until a page is released or shrinks', async () => {
    const budget = new PageBudget(100);
    const a = await budget.reserve(60);
    const b = await budget.reserve(40);
    let granted = false;
    const c = budget.reserve(50).then((r) => {
      granted = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(granted).toBe(false);
    a.shrinkTo(5);
    await new Promise((r) => setImmediate(r));
    expect(granted).toBe(true);
    expect(budget.heldBytes).toBe(95);
    (await c).release();
    b.release();
    a.release();
    a.release();
    expect(budget.heldBytes).toBe(0);
  });

  it('grants one reservation larger than its capacity alone (clamped), never forever waiting', async () => {
    const budget = new PageBudget(100);
    const big = await budget.reserve(500);
    expect(budget.heldBytes).toBe(100);
    big.release();
  });

  it('serves waiters in order and drops a cancelled one', async () => {
    const budget = new PageBudget(10);
    const first = await budget.reserve(10);
    const abort = new AbortController();
    const cancelled = budget.reserve(5, abort.signal);
    const order: string[] = [];
    const second = budget.reserve(10).then((r) => (order.push('second'), r));
    abort.abort(new Error('cancelled'));
    await expect(cancelled).rejects.toThrow('cancelled');
    first.release();
    (await second).release();
    expect(order).toEqual(['second']);
    expect(budget.heldBytes).toBe(0);
  });
});
