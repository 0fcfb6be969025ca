/**
 * REST helpers of the removal and retry end-to-end tests: every call goes through the real API
 * (templates, folders, connectors, tasks, run-now, runs, datacards), as an integrating system would.
 */
import type { Client } from '@temporalio/client';
import { startScimDemoServer, type ScimDemoServer } from '../../../apps/scim-demo/src';
import { scheduleIdForTask, TEMPORAL_CLIENT } from '../../../libs/temporal/src';
import type { ApiHarness } from '../../support/api-harness';
import { eventually, taskBody, uniq } from '../../support/fixtures';

export interface TargetCodes {
  account: string;
  entitlement: string;
  failure: string;
}

export interface RunBody {
  id: string;
  taskId: string;
  workflowId: string;
  temporalRunId: string | null;
  mode: string;
  trigger: string;
  dryRun?: boolean;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'terminated' | 'timedOut';
  finishedAt?: string | null;
  stagingReleasedAt?: string;
  phase: string | null;
  stats: { fetched: number; created: number; updated: number; unchanged: number; removed: number; failed: number };
  error?: { type: string; message: string };
  retryOf?: string;
  notes: string[];
  extractReports: Array<{ complete: boolean; reason: string; path: string }>;
  removal: null | {
    state: string;
    reason?: string;
    candidates?: { identity: number; access: number; generic: number };
    total?: number;
    threshold?: { maxRemovalPercent: number; maxRemovals?: number; active: { identity: number; access: number; generic: number }; exceeded: boolean };
    decisionDeadline?: string;
    decision?: string;
    removed?: number;
  };
}

export interface Datacard {
  id: string;
  uniqueValue: string;
  status: string;
  taskId: string;
  attributes: Record<string, unknown>;
}

/** REST client bound to one API harness (admin token). */
export function runApi(api: ApiHarness) {
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });
  const http = () => api.http();

  async function ok<T>(req: ReturnType<ReturnType<typeof http>['get']>, status: number): Promise<T> {
    const res = await req;
    if (res.status !== status) throw new Error(`HTTP ${res.status} (expected ${status}): ${res.text}`);
    return res.body as T;
  }

  return {
    auth,

    /** Own templates (account, entitlement, failure) and a folder for each, so tests never share datacards by accident. */
    async targetStore(prefix: string): Promise<TargetCodes> {
      const codes = { account: uniq(`${prefix}-acct`), entitlement: uniq(`${prefix}-ent`), failure: uniq(`${prefix}-fail`) };
      const templates: Array<[string, Array<{ code: string; type: string; multiple?: boolean }>]> = [
        [codes.account, [
          { code: 'scimId', type: 'string' }, { code: 'login', type: 'string' }, { code: 'email', type: 'string' },
          { code: 'firstName', type: 'string' }, { code: 'department', type: 'string' }, { code: 'accountStatus', type: 'string' },
        ]],
        [codes.entitlement, [
          { code: 'scimId', type: 'string' }, { code: 'name', type: 'string' }, { code: 'members', type: 'reference', multiple: true }, { code: 'status', type: 'string' },
        ]],
        [codes.failure, [{ code: 'message', type: 'string' }]],
      ];
      for (const [code, attributes] of templates) {
        await ok(http().post('/api/v1/templates').set(auth()).send({ code, name: code, attributes: attributes.map((a) => ({ ...a, name: a.code })) }), 201);
        await ok(http().post('/api/v1/folders').set(auth()).send({ code, name: code, templateCode: code }), 201);
      }
      return codes;
    },

    async connector(scim: ScimDemoServer, username: string, password: string): Promise<string> {
      const c = await ok<{ id: string }>(
        http().post('/api/v1/connectors').set(auth()).send({ name: uniq('conn'), baseUrl: scim.url, auth: { type: 'basic', username, password }, pageSize: 25 }),
        201,
      );
      return c.id;
    },

    /** The example task of docs/api.md on the test's own templates, manual runs only, no filters unless given. */
    async task(connectorId: string, codes: TargetCodes, overrides: Record<string, unknown> = {}): Promise<string> {
      const base = taskBody(connectorId, { schedule: null, filters: null }) as Record<string, unknown> & {
        identity: Record<string, unknown>;
        access: Record<string, unknown>;
      };
      const body = {
        ...base,
        failure: { templateCode: codes.failure, folderCode: codes.failure, attributeCode: 'message' },
        identity: { ...base.identity, templateCode: codes.account, folderCode: codes.account },
        access: { ...base.access, templateCode: codes.entitlement, folderCode: codes.entitlement },
        ...overrides,
      };
      return (await ok<{ id: string }>(http().post('/api/v1/tasks').set(auth()).send(body), 201)).id;
    },

    async patchTask(taskId: string, body: Record<string, unknown>): Promise<void> {
      await ok(http().patch(`/api/v1/tasks/${taskId}`).set(auth()).send(body), 200);
    },

    /**
     * Waits until the task's schedule no longer lists a running action. A run row says succeeded
     * a moment before its workflow closes, and the schedule learns of the close later still;
     * run-now in between answers 409 or reports the previous run (the API trusts the schedule).
     */
    async settled(taskId: string): Promise<void> {
      const client = api.app.get<Client>(TEMPORAL_CLIENT);
      await eventually(async () => (await client.schedule.getHandle(scheduleIdForTask(taskId)).describe()).info.runningActions.length === 0, 30_000, 100);
    },

    async runNow(taskId: string, mode?: 'full' | 'incremental', dryRun?: boolean): Promise<RunBody> {
      return ok<RunBody>(http().post(`/api/v1/tasks/${taskId}/runs`).set(auth()).send({ ...(mode ? { mode } : {}), ...(dryRun ? { dryRun } : {}) }), 202);
    },

    async run(runId: string): Promise<RunBody> {
      return ok<RunBody>(http().get(`/api/v1/runs/${runId}`).set(auth()), 200);
    },

    /** Polls GET /runs/:id until `until` holds (default: the run ended). */
    async waitRun(runId: string, until: (r: RunBody) => boolean = (r) => r.status !== 'running', timeoutMs = 90_000): Promise<RunBody> {
      return eventually(async () => {
        const r = await ok<RunBody>(http().get(`/api/v1/runs/${runId}`).set(auth()), 200);
        return until(r) ? r : undefined;
      }, timeoutMs, 250);
    },

    /** Run now and wait for the end. */
    async runToEnd(taskId: string, mode?: 'full' | 'incremental'): Promise<RunBody> {
      const started = await this.runNow(taskId, mode);
      return this.waitRun(started.id);
    },

    async records(runId: string, outcome: string): Promise<Array<{ kind: string; sourceId: string; uniqueValue: string; datacardId: string; message?: string }>> {
      const body = await ok<{ items: Array<{ kind: string; sourceId: string; uniqueValue: string; datacardId: string; message?: string }> }>(
        http().get(`/api/v1/runs/${runId}/records?outcome=${outcome}&limit=1000`).set(auth()),
        200,
      );
      return body.items;
    },

    /** What a target store holds: datacards by unique value, links as the unique values they point to (to compare two imports). */
    async target(codes: TargetCodes): Promise<Record<string, unknown>> {
      const accounts = await this.datacards({ template: codes.account });
      const groups = await this.datacards({ template: codes.entitlement });
      const uniqueOf = new Map(accounts.map((d) => [d.id, d.uniqueValue]));
      const out: Record<string, unknown> = {};
      for (const d of accounts) out[`account ${d.uniqueValue}`] = { status: d.status, attributes: d.attributes };
      for (const d of groups) {
        const members = ((d.attributes.members as string[] | undefined) ?? []).map((id) => uniqueOf.get(id) ?? `unknown ${id}`).sort();
        out[`group ${d.uniqueValue}`] = { status: d.status, attributes: { ...d.attributes, members } };
      }
      return out;
    },

    async datacards(query: Record<string, string>): Promise<Datacard[]> {
      const qs = new URLSearchParams({ limit: '1000', ...query }).toString();
      return (await ok<{ items: Datacard[] }>(http().get(`/api/v1/datacards?${qs}`).set(auth()), 200)).items;
    },

    async post(path: string, body: object = {}) {
      return http().post(path).set(auth()).send(body);
    },
  };
}

export type RunApi = ReturnType<typeof runApi>;

/** Sorted copy. */
export const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** Demo SCIM servers started by a test file with one set of credentials, all closed together. */
export function scimServerPool(username: string, password: string) {
  const servers: ScimDemoServer[] = [];
  return {
    async start(seed: { users: number; groups: number; membersPerUser?: number }): Promise<ScimDemoServer> {
      const server = await startScimDemoServer({ auth: { basic: { username, password } }, seed });
      servers.push(server);
      return server;
    },
    async closeAll(): Promise<void> {
      for (const s of servers.splice(0)) await s.close();
    },
  };
}
