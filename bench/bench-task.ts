/**
 * The connector and task the scenarios import with: the fixture source, identity and access
 * mapped into the seeded account/entitlement templates, removal on, manual runs only.
 */
import { ENTERPRISE_USER } from './data-generator';

export function benchConnector(opts: { baseUrl: string; username: string; password: string; pageSize: number }): Record<string, unknown> {
  return {
    name: `bench-source-${process.pid}`,
    baseUrl: opts.baseUrl,
    auth: { type: 'basic', username: opts.username, password: opts.password },
    pageSize: opts.pageSize,
    // a page of large groups under a loaded machine can take a while; a timeout is not what is measured
    timeoutMs: 120_000,
  };
}

export function benchTask(connectorId: string, name: string): Record<string, unknown> {
  const removal = (statusAttribute: string, removedValue: string) => ({ enabled: true, statusAttribute, removedValue });
  return {
    name,
    connectorId,
    usage: 'read',
    type: 'full',
    mappingsType: 'identityAndAccess',
    // manual only: a schedule firing between scenarios would distort them
    schedule: null,
    enabled: true,
    failure: { templateCode: 'failure', folderCode: 'failures', attributeCode: 'message' },
    identity: {
      templateCode: 'account',
      folderCode: 'accounts',
      unique: { external: 'id', local: 'scimId' },
      attributes: [
        { external: 'userName', local: 'login' },
        { external: 'emails[type eq "work"].value', local: 'email' },
        { external: 'name.givenName', local: 'firstName' },
        { external: 'name.familyName', local: 'lastName' },
        { external: 'displayName', local: 'displayName' },
        { external: 'title', local: 'title' },
        { external: `${ENTERPRISE_USER}:department`, local: 'department' },
        { external: `${ENTERPRISE_USER}:employeeNumber`, local: 'employeeNumber' },
        { external: 'active', local: 'active' },
      ],
      removal: removal('accountStatus', 'Deleted'),
    },
    access: {
      templateCode: 'entitlement',
      folderCode: 'entitlements',
      unique: { external: 'id', local: 'scimId' },
      attributes: [{ external: 'displayName', local: 'name' }],
      members: { local: 'members' },
      removal: removal('status', '5 - Removed'),
    },
    generic: null,
    // never cleared: a clear boundary passing mid-benchmark would make the no-change re-run push everything
    cache: { clearHoursUtc: [] },
    safety: { maxRemovalPercent: 20 },
  };
}
