import { proxyActivities } from '@temporalio/workflow';
import type { PingActivities } from '../apps/worker/src/ping.activities';

const { ping } = proxyActivities<PingActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

/** Smoke workflow: proves worker, activities and database are wired. */
export async function pingWorkflow(message: string): Promise<string> {
  const dbTime = await ping(message);
  return `pong: ${message} (database time ${dbTime})`;
}
