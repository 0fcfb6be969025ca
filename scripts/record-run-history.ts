/**
 * Records the history of one real run for the replay test (test/replay/replay-histories.spec.ts):
 * against a running `npm run dev` stack it creates a connector to the demo SCIM source and a full
 * task, runs it, waits for it to end and writes the workflow's history as JSON.
 *
 *   API_TOKEN=sit_dev_… DEMO_PASSWORD=… npx tsx scripts/record-run-history.ts test/replay/histories/<name>.json
 *
 * Optional: API_URL (http://localhost:3000), TEMPORAL_ADDRESS (127.0.0.1:7233). The history holds
 * ids, counts and the config snapshot, never a secret (the script checks the password is absent).
 */
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureTemporalCli } from './lib/temporal-dev-server';

async function main(): Promise<void> {
  const [out] = process.argv.slice(2);
  const token = process.env.API_TOKEN;
  const password = process.env.DEMO_PASSWORD;
  if (!out || !token || !password) throw new Error('usage: API_TOKEN=… DEMO_PASSWORD=… npx tsx scripts/record-run-history.ts <out.json>');
  const api = process.env.API_URL ?? 'http://localhost:3000';
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${api}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const tag = randomBytes(3).toString('hex');
  const connector = await call('POST', '/connectors', {
    name: `replay-${tag}`,
    baseUrl: process.env.DEMO_URL ?? 'http://127.0.0.1:8880/scim/v2',
    auth: { type: 'basic', username: 'demo', password },
  });
  const section = (templateCode: string, folderCode: string, attributes: unknown[], extra: Record<string, unknown>) => ({
    templateCode, folderCode, unique: { external: 'id', local: 'scimId' }, attributes, ...extra,
  });
  const task = await call('POST', '/tasks', {
    name: `replay-${tag}`, connectorId: connector.id, type: 'full', mappingsType: 'identityAndAccess', schedule: null,
    identity: section('account', 'accounts', [{ external: 'userName', local: 'login' }], { removal: { enabled: true, statusAttribute: 'accountStatus', removedValue: 'Deleted' } }),
    access: section('entitlement', 'entitlements', [{ external: 'displayName', local: 'name' }], { members: { local: 'members' } }),
  });
  const run = await call('POST', `/tasks/${String(task.id)}/runs`, {});
  let status = String(run.status);
  while (status === 'running') {
    await new Promise((r) => setTimeout(r, 500));
    status = String((await call('GET', `/runs/${String(run.id)}`)).status);
  }
  // the Temporal CLI's JSON is what historyFromJSON reads back
  const json = execFileSync(
    ensureTemporalCli(resolve(__dirname, '..')),
    ['workflow', 'show', '--workflow-id', String(run.workflowId), '--address', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', '--output', 'json'],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  if (json.includes(password)) throw new Error('the history holds the source password: not written');
  writeFileSync(out, json.endsWith('\n') ? json : `${json}\n`);
  process.stdout.write(`wrote ${out} (run ${String(run.id)} ${status}, workflow ${String(run.workflowId)})\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
