import type { DataSource } from 'typeorm';
import { Db } from './db';
import { TargetStoreRepository } from './target-store/target-store-repository';
import type { TemplateAttributeDef } from './target-store/target-store-repository';

const TEMPLATES: Array<{ code: string; name: string; attributes: TemplateAttributeDef[] }> = [
  {
    code: 'account',
    name: 'Account',
    attributes: [
      { code: 'scimId', name: 'SCIM id', type: 'string' },
      { code: 'login', name: 'Login', type: 'string' },
      { code: 'email', name: 'E-mail', type: 'string' },
      { code: 'firstName', name: 'First name', type: 'string' },
      { code: 'lastName', name: 'Last name', type: 'string' },
      { code: 'displayName', name: 'Display name', type: 'string' },
      { code: 'title', name: 'Title', type: 'string' },
      { code: 'department', name: 'Department', type: 'string' },
      { code: 'employeeNumber', name: 'Employee number', type: 'string' },
      { code: 'active', name: 'Active', type: 'boolean' },
      { code: 'accountStatus', name: 'Account status', type: 'string' },
    ],
  },
  {
    code: 'entitlement',
    name: 'Entitlement',
    attributes: [
      { code: 'scimId', name: 'SCIM id', type: 'string' },
      { code: 'name', name: 'Name', type: 'string' },
      { code: 'members', name: 'Members', type: 'reference', multiple: true },
      { code: 'status', name: 'Status', type: 'string' },
    ],
  },
  {
    code: 'failure',
    name: 'Import failure',
    attributes: [
      { code: 'message', name: 'Message', type: 'string' },
      { code: 'taskName', name: 'Task', type: 'string' },
      { code: 'runId', name: 'Run', type: 'string' },
      { code: 'occurredAt', name: 'Occurred at', type: 'datetime' },
    ],
  },
];

const FOLDERS = [
  { code: 'accounts', name: 'Accounts', templateCode: 'account' },
  { code: 'entitlements', name: 'Entitlements', templateCode: 'entitlement' },
  { code: 'failures', name: 'Import failures', templateCode: 'failure' },
];

/** Seeds the default templates and folders the quick start uses; existing ones are left alone. */
export async function seedDefaultTargetStore(ds: DataSource): Promise<void> {
  const store = new TargetStoreRepository(Db.fromDataSource(ds));
  for (const t of TEMPLATES) await store.insertTemplateIfMissing(t.code, t.name, t.attributes);
  for (const f of FOLDERS) await store.insertFolderIfMissing(f.code, f.name, f.templateCode);
}
