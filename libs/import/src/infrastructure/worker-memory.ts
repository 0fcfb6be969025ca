import { getHeapStatistics } from 'node:v8';

/**
 * The worker's memory model: what a page and a group's members cost its heap, measured
 * (libs/import/bench/page-heap.ts, docs/operations.md "Worker sizing"), so that no source's data
 * can take the worker past its heap: a page larger than the heap allows fails the run instead.
 */

const MiB = 1024 * 1024;

/**
 * Heap bytes per byte of a page while it is parsed and staged. Measured at 10/50/100 MB: 2.5x for
 * pages of users (JSON.parse's result next to the text, then the staging INSERT's JSON parameter
 * next to the parsed page), 3.2x for a page that is one group of 200k-1.9M members (a member is a
 * small object and an id string). Rounded up for the garbage a capped heap must collect meanwhile.
 */
export const PAGE_HEAP_MULTIPLIER = 4;

/**
 * Heap kept for everything that is not a page: the worker itself (Nest, the Temporal SDK, the pg
 * pool: about 60 MB at rest), a load batch, the other activities' small state.
 */
export const HEAP_RESERVE_BYTES = 128 * MiB;

/**
 * Heap bytes per group member while load writes a batch (the member ids as read, the set of
 * distinct ids, the datacards they resolve to, the link pairs and their JSON parameters).
 */
export const LOAD_HEAP_BYTES_PER_MEMBER = 600;

/** Load batches written at once (DEFAULT_TUNING.loadConcurrency): each may hold its members. */
const LOAD_BATCHES_IN_FLIGHT = 2;

/** The heap this process may grow to (`--max-old-space-size` plus the young generation). */
export function processHeapLimit(): number {
  return getHeapStatistics().heap_size_limit;
}

/** Largest page (bytes) a process with this heap limit can parse and stage, in whole MiB. */
export function pageLimitForHeap(heapLimitBytes: number): number {
  const bytes = (heapLimitBytes - HEAP_RESERVE_BYTES) / PAGE_HEAP_MULTIPLIER;
  return Math.max(MiB, Math.floor(bytes / MiB) * MiB);
}

/**
 * Most members one group may have so that load, holding two batches at once, stays within the
 * heap; a batch of many groups is cut to the same number of members (load's batch window).
 */
export function memberLimitForHeap(heapLimitBytes: number): number {
  return Math.max(10_000, Math.floor((heapLimitBytes - HEAP_RESERVE_BYTES) / (LOAD_BATCHES_IN_FLIGHT * LOAD_HEAP_BYTES_PER_MEMBER)));
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

/**
 * The page bytes this process holds at once, across every activity it runs. A page is reserved
 * at the largest size it may have (the page limit) before its request is sent, shrunk to its real
 * size once it arrived, and released once it is staged. A request waits while the pages held plus
 * its reservation would exceed what the heap affords; one page alone always fits (the limit is
 * derived from the same heap), and held pages never wait for anything, so waiting cannot deadlock.
 */
export class PageBudget {
  private held = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly capacityBytes: number) {}

  /** Waits until `bytes` fit, then holds them; the returned reservation can shrink and must be released. */
  async reserve(bytes: number, signal?: AbortSignal): Promise<PageReservation> {
    const want = Math.min(bytes, this.capacityBytes);
    if (this.queue.length === 0 && this.held + want <= this.capacityBytes) {
      this.held += want;
    } else {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { bytes: want, grant: resolve };
        this.queue.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            const i = this.queue.indexOf(waiter);
            if (i < 0) return;
            this.queue.splice(i, 1);
            this.grantWaiting();
            reject(signal.reason instanceof Error ? signal.reason : new Error('page reservation cancelled'));
          },
          { once: true },
        );
      });
    }
    let current = want;
    return {
      shrinkTo: (size: number) => {
        const next = Math.min(current, Math.max(0, size));
        this.held -= current - next;
        current = next;
        this.grantWaiting();
      },
      release: () => {
        this.held -= current;
        current = 0;
        this.grantWaiting();
      },
    };
  }

  /** Bytes held now (tests, metrics). */
  get heldBytes(): number {
    return this.held;
  }

  private grantWaiting(): void {
    // first come, first served: a large reservation is not starved by a stream of small ones
    while (this.queue.length > 0 && this.held + this.queue[0].bytes <= this.capacityBytes) {
      const next = this.queue.shift() as Waiter;
      this.held += next.bytes;
      next.grant();
    }
  }
}

/** Bytes of one page held in a PageBudget. */
export interface PageReservation {
  shrinkTo(bytes: number): void;
  release(): void;
}

/** The limits of this process, from its real heap. */
export interface WorkerMemory {
  heapLimitBytes: number;
  /** largest page read (the smaller of this and the connector's maxResponseBytes applies) */
  pageLimitBytes: number;
  /** most members one group may have */
  memberLimit: number;
  /** pages in flight in this process, in page bytes */
  pages: PageBudget;
}

let processMemory: WorkerMemory | undefined;

/** This process's memory limits (one page budget per process, shared by all its activities). */
export function workerMemory(): WorkerMemory {
  if (!processMemory) {
    const heapLimitBytes = processHeapLimit();
    const pageLimitBytes = pageLimitForHeap(heapLimitBytes);
    processMemory = {
      heapLimitBytes,
      pageLimitBytes,
      memberLimit: memberLimitForHeap(heapLimitBytes),
      pages: new PageBudget(Math.floor((heapLimitBytes - HEAP_RESERVE_BYTES) / PAGE_HEAP_MULTIPLIER)),
    };
  }
  return processMemory;
}
