/** Clock and timer, injectable so the bucket can be tested without waiting. */
export interface BucketClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: BucketClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Token bucket limiting requests per second for one client. Idle time banks at most one
 * second's worth of tokens, so a quiet period never turns into a burst the server would throttle.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  // Waiters are served in order; without the chain two callers could both see a refilled token.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: BucketClock = realClock,
  ) {
    this.tokens = Math.max(1, ratePerSecond);
    this.last = clock.now();
  }

  /** Resolves when a request may be sent. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    const capacity = Math.max(1, this.ratePerSecond);
    this.tokens = Math.min(capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  private async take(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
      this.refill();
    }
    this.tokens -= 1;
  }
}
