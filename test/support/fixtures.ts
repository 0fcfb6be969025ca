import { randomUUID } from 'node:crypto';

/** A unique suffix so every test owns its names. */
export function uniq(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function connectorBody(overrides: Record<string, unknown> = {}) {
  return {
    name: uniq('conn'),
    baseUrl: 'http://127.0.0.1:9/scim/v2',
    auth: { type: 'basic', username: 'svc-import', password: 'pa55-Secret-Value!' },
    pageSize: 100,
    timeoutMs: 5000,
    ...overrides,
  };
}

export const DEPARTMENT_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department';

/** The template and folder codes the example task writes into. */
export interface ExampleTargets {
  account: { templateCode: string; folderCode: string };
  entitlement: { templateCode: string; folderCode: string };
  failure: { templateCode: string; folderCode: string };
}

/** The example task's mappings (docs/api.md): accounts with removal by status, entitlements with their members, failures. */
export function exampleMappings(targets: ExampleTargets) {
  return {
    failure: { ...targets.failure, attributeCode: 'message' },
    identity: {
      ...targets.account,
      unique: { external: 'id', local: 'scimId' },
      attributes: [
        { external: 'userName', local: 'login' },
        { external: 'emails[type eq "work"].value', local: 'email' },
        { external: 'name.givenName', local: 'firstName' },
        { external: DEPARTMENT_URN, local: 'department' },
      ],
      removal: { enabled: true, statusAttribute: 'accountStatus', removedValue: 'Deleted' },
    },
    access: {
      ...targets.entitlement,
      unique: { external: 'id', local: 'scimId' },
      attributes: [{ external: 'displayName', local: 'name' }],
      members: { local: 'members' },
      removal: { enabled: true, statusAttribute: 'status', removedValue: '5 - Removed' },
    },
    generic: null,
    cache: { clearHoursUtc: [0] },
    safety: { maxRemovalPercent: 20 },
  };
}

/** The example task of docs/api.md, pointed at a connector. */
export function taskBody(connectorId: string, overrides: Record<string, unknown> = {}) {
  return {
    name: uniq('task'),
    connectorId,
    usage: 'read',
    type: 'full',
    mappingsType: 'identityAndAccess',
    schedule: { cron: '0 */4 * * *', timezone: 'UTC' },
    enabled: true,
    filters: { users: 'active eq true', groups: 'displayName sw "app-"' },
    ...exampleMappings({
      account: { templateCode: 'account', folderCode: 'accounts' },
      entitlement: { templateCode: 'entitlement', folderCode: 'entitlements' },
      failure: { templateCode: 'failure', folderCode: 'failures' },
    }),
    ...overrides,
  };
}

/** Polls until check() returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
