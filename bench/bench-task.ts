/**
 * The connector and task the scenarios import with: the fixture source, identity and access
 * mapped into the seeded account/entitlement templates, removal on, manual runs only. The shape
 * scenarios (shapes.ts) use the same task as identityOnly, or a generic task reading /Devices
 * into a device template they create through the API.
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

export type BenchMappings = 'identityAndAccess' | 'identityOnly' | 'generic';

/** The template and folder the generic task writes devices into (created by the shape scenario through the API). */
export const DEVICE_TEMPLATE = {
  code: 'device',
  name: 'Device',
  attributes: [
    { code: 'serial', name: 'Serial number', type: 'string' },
    { code: 'name', name: 'Name', type: 'string' },
    { code: 'model', name: 'Model', type: 'string' },
    { code: 'manufacturer', name: 'Manufacturer', type: 'string' },
    { code: 'platform', name: 'Platform', type: 'string' },
    { code: 'status', name: 'Status', type: 'string' },
    { code: 'owner', name: 'Owner', type: 'string' },
    { code: 'importStatus', name: 'Import status', type: 'string' },
  ],
};
export const DEVICE_FOLDER = { code: 'devices', name: 'Devices', templateCode: 'device' };

export function benchTask(connectorId: string, name: string, mappings: BenchMappings = 'identityAndAccess'): Record<string, unknown> {
  const removal = (statusAttribute: string, removedValue: string) => ({ enabled: true, statusAttribute, removedValue });
  // the attributes data-generator.ts mappedDevice() copies into the load-only bound
  const generic = {
    resourcePath: '/Devices',
    templateCode: DEVICE_TEMPLATE.code,
    folderCode: DEVICE_FOLDER.code,
    unique: { external: 'serialNumber', local: 'serial' },
    attributes: [
      { external: 'displayName', local: 'name' },
      { external: 'model', local: 'model' },
      { external: 'manufacturer', local: 'manufacturer' },
      { external: 'platform', local: 'platform' },
      { external: 'status', local: 'status' },
      { external: 'owner.value', local: 'owner' },
    ],
    removal: removal('importStatus', 'Removed'),
  };
  const task = {
    name,
    connectorId,
    usage: 'read',
    type: 'full',
    mappingsType: mappings,
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
  if (mappings === 'identityOnly') return { ...task, access: null };
  if (mappings === 'generic') return { ...task, identity: null, access: null, generic };
  return task;
}
