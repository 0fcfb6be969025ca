/**
 * Shared set-up of the import tests: target-store templates and folders, connector and task
 * rows written directly (SecretBox-sealed), workflow starts, and snapshots of the target.
 * Every code carries a per-file suffix so test files running in parallel never collide.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { SecretBox } from '@app/persistence';
import type { RunProgress } from '@app/temporal';
import type { TaskConfig } from '@app/import';
import { exampleMappings } from '../../support/fixtures';
import { startImportWorkflow } from '../../support/start-import';

export { DEPARTMENT_URN } from '../../support/fixtures';

export interface TargetCodes {
  account: string;
  entitlement: string;
  device: string;
  failure: string;
}

/** Creates templates account/entitlement/device/failure and one folder each, named with `suffix`. */
export async function seedTargetStore(ds: DataSource, suffix: string): Promise<TargetCodes> {
  const codes: TargetCodes = { account: `account_${suffix}`, entitlement: `entitlement_${suffix}`, device: `device_${suffix}`, failure: `failure_${suffix}` };
  const templates: Array<[string, Array<{ code: string; type: string; multiple?: boolean }>]> = [
    [codes.account, [
      { code: 'scimId', type: 'string' }, { code: 'login', type: 'string' }, { code: 'email', type: 'string' },
      { code: 'firstName', type: 'string' }, { code: 'lastName', type: 'string' }, { code: 'department', type: 'string' },
      { code: 'accountStatus', type: 'string' }, { code: 'externalId', type: 'string' },
    ]],
    [codes.entitlement, [
      { code: 'scimId', type: 'string' }, { code: 'name', type: 'string' },
      { code: 'members', type: 'reference', multiple: true }, { code: 'status', type: 'string' },
    ]],
    [codes.device, [
      { code: 'serial', type: 'string' }, { code: 'name', type: 'string' }, { code: 'model', type: 'string' }, { code: 'platform', type: 'string' },
    ]],
    [codes.failure, [{ code: 'message', type: 'string' }]],
  ];
  for (const [code, attributes] of templates) {
    await ds.query(`INSERT INTO template (code, name, attributes) VALUES ($1, $1, $2) ON CONFLICT (code) DO NOTHING`, [
      code,
      JSON.stringify(attributes.map((a) => ({ ...a, name: a.code }))),
    ]);
    await ds.query(`INSERT INTO folder (code, name, template_code) VALUES ($1, $1, $1) ON CONFLICT (code) DO NOTHING`, [code]);
  }
  return codes;
}

/** The API's example task config (identity + access with memberships, no filters), pointed at the test's templates (folder = template). */
export function identityAndAccessConfig(codes: TargetCodes, overrides: Partial<TaskConfig> = {}): TaskConfig {
  const own = (code: string) => ({ templateCode: code, folderCode: code });
  const example = exampleMappings({ account: own(codes.account), entitlement: own(codes.entitlement), failure: own(codes.failure) });
  const [login, email, firstName, department] = example.identity.attributes;
  return {
    filters: { users: null, groups: null },
    ...example,
    // these account templates have a lastName too
    identity: { ...example.identity, attributes: [login, email, firstName, { external: 'name.familyName', local: 'lastName' }, department] },
    ...overrides,
  };
}

/** Inserts a basic-auth connector with its password sealed. */
export async function insertConnector(
  ds: DataSource,
  box: SecretBox,
  opts: { baseUrl: string; username: string; password: string; pageSize?: number },
): Promise<string> {
  const rows: Array<{ id: string }> = await ds.query(
    `INSERT INTO connector (name, base_url, auth_type, auth_public, secret_ciphertext, page_size)
     VALUES ($1, $2, 'basic', $3, $4, $5) RETURNING id`,
    [`conn-${randomUUID()}`, opts.baseUrl, JSON.stringify({ username: opts.username }), box.seal({ password: opts.password }), opts.pageSize ?? 25],
  );
  return rows[0].id;
}

/** Inserts a task row the way the API would store it. */
export async function insertTask(
  ds: DataSource,
  opts: { connectorId: string; type?: 'full' | 'incremental'; mappingsType?: string; config: TaskConfig },
): Promise<string> {
  const rows: Array<{ id: string }> = await ds.query(
    `INSERT INTO import_task (name, connector_id, usage, type, mappings_type, config) VALUES ($1, $2, 'read', $3, $4, $5) RETURNING id`,
    [`task-${randomUUID()}`, opts.connectorId, opts.type ?? 'full', opts.mappingsType ?? 'identityAndAccess', JSON.stringify(opts.config)],
  );
  return rows[0].id;
}

export interface RunRow {
  id: string;
  status: string;
  mode: string;
  phase: string;
  stats: { fetched: number; created: number; updated: number; unchanged: number; removed: number; failed: number };
  notes: string[];
  error: { type: string; message: string } | null;
  extract_reports: Array<Record<string, unknown>>;
}

let sequence = 0;

/** Starts a run the way a manual trigger does and waits for the workflow to end. */
export async function runTask(client: Client, taskQueue: string, taskId: string, mode?: 'full' | 'incremental'): Promise<{ workflowId: string; result: RunProgress }> {
  const workflowId = `import-task-${taskId}-${++sequence}-${Date.now()}`;
  const handle = await startImportWorkflow(client, { input: { taskId, trigger: 'manual', mode }, taskQueue, workflowId });
  return { workflowId, result: await handle.result() };
}

/** The run row of a workflow. */
export async function runOf(ds: DataSource, workflowId: string): Promise<RunRow> {
  const rows: RunRow[] = await ds.query(`SELECT id, status, mode, phase, stats, notes, error, extract_reports FROM run WHERE workflow_id = $1`, [workflowId]);
  return rows[0];
}

/** Physical identity of every datacard, link and cache entry of a task: any write changes it. */
export async function writeFingerprint(ds: DataSource, taskId: string, templates: string[]): Promise<string> {
  const cards = await ds.query(
    `SELECT id, xmin::text AS x, updated_at FROM datacard WHERE template_code = ANY($1) ORDER BY id`,
    [templates],
  );
  const links = await ds.query(
    `SELECT l.datacard_id, l.target_id, l.xmin::text AS x FROM datacard_link l JOIN datacard d ON d.id = l.datacard_id
      WHERE d.template_code = ANY($1) ORDER BY 1, 2`,
    [templates],
  );
  const cache = await ds.query(
    `SELECT d.unique_value, s.kind, s.xmin::text AS x, s.pushed_at FROM datacard_sighting s JOIN datacard d ON d.id = s.datacard_id
      WHERE s.task_id = $1 AND s.hash IS NOT NULL ORDER BY 2, 1`,
    [taskId],
  );
  return JSON.stringify({ cards, links, cache });
}

/** The target as an operator sees it, with memberships as unique values (comparable across tasks). */
export async function targetView(ds: DataSource, templates: { account: string; entitlement: string }): Promise<{
  accounts: Record<string, Record<string, unknown>>;
  groups: Record<string, { attributes: Record<string, unknown>; members: string[]; links: string[] }>;
}> {
  const accounts: Array<{ id: string; unique_value: string; attributes: Record<string, unknown> }> = await ds.query(
    `SELECT id, unique_value, attributes FROM datacard WHERE template_code = $1`,
    [templates.account],
  );
  const byId = new Map(accounts.map((a) => [a.id, a.unique_value]));
  const groups: Array<{ id: string; unique_value: string; attributes: Record<string, unknown> }> = await ds.query(
    `SELECT id, unique_value, attributes FROM datacard WHERE template_code = $1`,
    [templates.entitlement],
  );
  const links: Array<{ datacard_id: string; target_id: string }> = await ds.query(
    `SELECT l.datacard_id, l.target_id FROM datacard_link l JOIN datacard d ON d.id = l.datacard_id WHERE d.template_code = $1 AND l.attribute_code = 'members'`,
    [templates.entitlement],
  );
  const view = {
    accounts: Object.fromEntries(accounts.map((a) => [a.unique_value, a.attributes])),
    groups: {} as Record<string, { attributes: Record<string, unknown>; members: string[]; links: string[] }>,
  };
  for (const g of groups) {
    const { members, ...rest } = g.attributes as { members?: string[] };
    view.groups[g.unique_value] = {
      attributes: rest,
      members: (members ?? []).map((id) => byId.get(id) ?? `?${id}`).sort(),
      links: links.filter((l) => l.datacard_id === g.id).map((l) => byId.get(l.target_id) ?? `?${l.target_id}`).sort(),
    };
  }
  return view;
}

/** GET a resource from the demo server (expected values come from the source, not from our code). */
export async function scimGet(baseUrl: string, path: string, auth: { username: string; password: string }): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`, accept: 'application/scim+json' },
  });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}
