import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { ProblemException } from '../common/problem';

/** The preview passed PREVIEW_TIMEOUT_SECONDS: what it was reading is aborted and the caller gets 504. */
export class PreviewDeadlineError extends Error {
  override readonly name = 'PreviewDeadlineError';
  constructor(readonly timeoutMs: number) {
    super(`the preview did not finish within ${timeoutMs / 1000} s (PREVIEW_TIMEOUT_SECONDS)`);
  }
}

/** The caller closed the connection before the preview answered: nothing more is read for it. */
export class PreviewAbandonedError extends Error {
  override readonly name = 'PreviewAbandonedError';
  constructor() {
    super('the client closed the connection before the preview finished');
  }
}

/**
 * What keeps previews bounded in the API process: at most PREVIEW_MAX_CONCURRENT at once (429
 * with Retry-After beyond), an overall deadline (504 naming it), and cancellation when the client
 * disconnects. The deadline and the disconnect abort the preview's signal, which aborts its SCIM
 * requests in flight; a slot is released only when the preview's work has really ended, so the
 * limit bounds what the process holds even when the answer went out at the deadline.
 */
@Injectable()
export class PreviewGate {
  private readonly logger = new Logger('preview');
  private active = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Previews holding a slot now. */
  get inProgress(): number {
    return this.active;
  }

  /** Runs `work` in a slot, with a signal that fires at the deadline or when the client of `req` goes away. */
  async run<T>(req: Request, res: Response, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const limit = this.config.previewMaxConcurrent;
    if (this.active >= limit) {
      res.setHeader('Retry-After', String(Math.max(1, Math.min(5, Math.ceil(this.config.previewTimeoutMs / 1000)))));
      throw new ProblemException(429, `${limit} previews are already running (PREVIEW_MAX_CONCURRENT); try again shortly`);
    }
    this.active += 1;
    const started = Date.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new PreviewDeadlineError(this.config.previewTimeoutMs)), this.config.previewTimeoutMs);
    // 'close' on the response also follows a normal answer; only a close before the answer ended is the client leaving
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new PreviewAbandonedError());
    };
    res.on('close', onClose);
    // gone before we listened (the request itself counts as destroyed once its body was read: ask the socket)
    if (req.socket.destroyed) onClose();
    const done = (async () => work(controller.signal))().finally(() => {
      clearTimeout(timer);
      res.off('close', onClose);
      this.active -= 1;
      if (controller.signal.aborted) this.logger.log(`preview stopped after ${Date.now() - started} ms: ${(controller.signal.reason as Error).message}`);
    });
    // answer at the deadline even if the work needs a moment to wind down (its slot stays taken until it has)
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(controller.signal.reason as Error);
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    try {
      return await Promise.race([done, aborted]);
    } catch (err) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof PreviewDeadlineError) throw new ProblemException(504, `${reason.message}; nothing more is read. Preview fewer records (limit) or try again when the source answers faster`);
      // nobody reads this answer; it keeps the log free of an "unexpected error"
      if (reason instanceof PreviewAbandonedError) throw new ProblemException(499, reason.message);
      throw err;
    } finally {
      // the race's loser must not reject unhandled
      done.catch(() => undefined);
      aborted.catch(() => undefined);
    }
  }
}
