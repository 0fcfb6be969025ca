/**
 * A page thread's entry point (started by page-threads.ts): digests the list pages posted to it,
 * one at a time, and posts each answer back with the job's id.
 */
import { parentPort } from 'node:worker_threads';
import { digestPageJob, PageDigestCache, type PageJob, type PageJobAnswer } from './page-digest';

const port = parentPort;
if (port) {
  const cache = new PageDigestCache();
  port.on('message', (message: { id: number; job: PageJob }) => {
    let answer: PageJobAnswer;
    try {
      answer = { ok: true, result: digestPageJob(message.job, cache) };
    } catch (err) {
      answer = { ok: false, error: { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) } };
    }
    port.postMessage({ id: message.id, answer });
  });
  port.postMessage({ ready: true });
}
