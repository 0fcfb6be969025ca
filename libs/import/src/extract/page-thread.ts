/**
 * A page thread's entry point (started by page-threads.ts). For each list page posted to it, one
 * at a time: parses it and posts the ListedPage (the listing goes on with it), then maps and
 * hashes its records and posts their staging entries (page-digest.ts). A page it cannot parse is
 * answered with the error alone.
 */
import { parentPort } from 'node:worker_threads';
import { listPageJob, PageDigestCache, stagePageJob, type PageJob, type PageJobAnswer } from './page-digest';

const failed = (err: unknown): PageJobAnswer => ({ ok: false, error: { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) } });

const port = parentPort;
if (port) {
  const cache = new PageDigestCache();
  port.on('message', ({ id, job }: { id: number; job: PageJob }) => {
    let listed;
    try {
      listed = listPageJob(job, cache);
    } catch (err) {
      port.postMessage({ id, answer: failed(err) });
      return;
    }
    port.postMessage({ id, part: listed.listed });
    let answer: PageJobAnswer;
    try {
      answer = { ok: true, entries: stagePageJob(listed.resources, job, cache) };
    } catch (err) {
      answer = failed(err);
    }
    port.postMessage({ id, answer });
  });
  port.postMessage({ ready: true });
}
