import { WORKER_HEAP_MB } from '@app/config';

/**
 * Node flags the worker runs with, wherever it is started (`npm run start:worker`, `npm run dev`,
 * docker-compose, the benchmark). A capped old space makes V8 collect the garbage of each page
 * and batch early instead of letting the heap grow towards its default limit (a quarter of the
 * machine's memory), so the worker's memory stays flat whatever the size of the source.
 * package.json and docker-compose.yml repeat these literally; test/foundation keeps them equal.
 */
export const WORKER_NODE_FLAGS: readonly string[] = [`--max-old-space-size=${WORKER_HEAP_MB}`];
