/**
 * Every field of every request body, read from the DTO classes themselves (so a new field is
 * tested the day it is added): `null` and a value of the wrong type answer 400 problem+json naming
 * the field, never 500. Fields documented `nullable: true` keep accepting null (never a 5xx and
 * never "must not be null"). Every route with a JSON body must be listed here, or the coverage
 * test fails.
 */
import { randomUUID } from 'node:crypto';
import { getMetadataStorage } from 'class-validator';
import { CreateConnectorDto, UpdateConnectorDto } from '../../apps/api/src/connectors/connector.dto';
import { RetryRunDto } from '../../apps/api/src/runs/run.dto';
import { CreateFolderDto, CreateTemplateDto } from '../../apps/api/src/target-store/target-store.dto';
import { CreateTaskDto, RunNowDto, UpdateTaskDto } from '../../apps/api/src/tasks/task.dto';
import { CreateWebhookDto, UpdateWebhookDto } from '../../apps/api/src/webhooks/webhook.dto';
import { startApi, type ApiHarness } from '../support/api-harness';
import { connectorBody, taskBody, uniq } from '../support/fixtures';

// the keys @nestjs/swagger stores ApiProperty metadata under (its constants are not exported)
const PROPERTY_NAMES = 'swagger/apiModelPropertiesArray';
const PROPERTY = 'swagger/apiModelProperties';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'scalar' | 'unknown';
type Dto = new (...args: never[]) => object;

interface FieldCase {
  /** dotted path as the API names it in errors[].field */
  path: string;
  /** the same path as keys, for building bodies */
  keys: Array<string | number>;
  kind: Kind;
  nullable: boolean;
}

interface PropertyMeta {
  type?: unknown;
  isArray?: boolean;
  nullable?: boolean;
  enum?: unknown;
  oneOf?: unknown;
}

/** What class-validator checks on a property, by constraint name. */
function validatorNames(dto: Dto, property: string): Set<string> {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return new Set(metas.filter((m) => m.propertyName === property).map((m) => m.name ?? m.type));
}

function kindOf(dto: Dto, property: string, meta: PropertyMeta): { kind: Kind; nested?: Dto } {
  const validators = validatorNames(dto, property);
  const type = typeof meta.type === 'function' && !/^(String|Number|Boolean|Object)$/.test(meta.type.name) ? (meta.type as Dto) : undefined;
  if (meta.isArray || validators.has('isArray')) return { kind: 'array', nested: type };
  if (type) return { kind: 'object', nested: type };
  if (validators.has('isScalar')) return { kind: 'scalar' };
  if (validators.has('isBoolean')) return { kind: 'boolean' };
  if (validators.has('isInt') || validators.has('isNumber')) return { kind: 'number' };
  if (meta.enum || validators.has('isString') || validators.has('isIn') || validators.has('isUuid')) return { kind: 'string' };
  return { kind: 'unknown' };
}

/** Every field of a DTO and of the DTOs nested in it (each nested class is walked once, at its first path). */
function fieldsOf(dto: Dto, parent: Array<string | number> = [], seen = new Set<Dto>()): FieldCase[] {
  seen.add(dto);
  const names: string[] = Reflect.getMetadata(PROPERTY_NAMES, dto.prototype) ?? [];
  const out: FieldCase[] = [];
  for (const name of names.map((n) => n.replace(/^:/, ''))) {
    const meta: PropertyMeta = Reflect.getMetadata(PROPERTY, dto.prototype, name) ?? {};
    const { kind, nested } = kindOf(dto, name, meta);
    const keys = [...parent, name];
    out.push({ path: pathOf(keys), keys, kind, nullable: meta.nullable === true });
    if (nested && !seen.has(nested)) out.push(...fieldsOf(nested, kind === 'array' ? [...keys, 0] : keys, seen));
  }
  return out;
}

function pathOf(keys: Array<string | number>): string {
  return keys.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${k}` : k), '');
}

const WRONG: Record<Exclude<Kind, 'unknown'>, unknown> = {
  string: 12345,
  number: 'twelve',
  boolean: 'yes',
  object: 'not an object',
  array: 'not an array',
  scalar: { not: 'a scalar' },
};

/** A copy of `base` with the value at `keys` replaced (missing objects on the way are created). */
function withValue(base: Record<string, unknown>, keys: Array<string | number>, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  let at: Record<string | number, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    if (at[key] === null || typeof at[key] !== 'object') at[key] = {};
    at = at[key] as Record<string | number, unknown>;
  }
  at[keys[keys.length - 1]] = value;
  return copy;
}

/** Only the top-level section the path is in: a PATCH changes what it names and nothing else. */
function patchOf(base: Record<string, unknown>, keys: Array<string | number>, value: unknown): Record<string, unknown> {
  const whole = withValue(base, keys, value);
  return { [keys[0]]: whole[keys[0] as string] };
}

const genericSection = {
  resourcePath: '/Devices',
  filter: 'displayName pr',
  templateCode: 'account',
  folderCode: 'accounts',
  unique: { external: 'id', local: 'scimId' },
  attributes: [{ external: 'displayName', local: 'login' }],
};

/** A task body with every optional section filled, so each nested field has a valid neighbourhood. */
function fullTaskBody(connectorId: string): Record<string, unknown> {
  const body = taskBody(connectorId) as Record<string, any>;
  body.identity.attributes[0] = { external: 'userName', local: 'login', transforms: [{ op: 'join', separator: ', ' }] };
  body.identity.attributes.push({ constant: 'x', local: 'department' });
  body.identity.removal.reactivateValue = 'Active';
  body.safety = { maxRemovalPercent: 20, maxRemovals: 100 };
  return body;
}

function fullConnectorBody(): Record<string, unknown> {
  return connectorBody({ tls: { rejectUnauthorized: true }, rateLimitPerSecond: 20, maxResponseBytes: 1024 * 1024 });
}

interface Route {
  name: string;
  method: 'post' | 'patch';
  path: (ctx: Ctx) => string;
  dto: Dto;
  /** the request for one field set to one value */
  body: (ctx: Ctx, keys: Array<string | number>, value: unknown) => Record<string, unknown>;
}

interface Ctx {
  connectorId: string;
  taskId: string;
}

/** Every route that takes a JSON body, by the DTO it validates (the previews reuse CreateTaskDto and UpdateTaskDto). */
const ROUTES: Route[] = [
  { name: 'POST /connectors', method: 'post', path: () => '/api/v1/connectors', dto: CreateConnectorDto, body: (_c, k, v) => withValue(fullConnectorBody(), k, v) },
  {
    name: 'PATCH /connectors/:id',
    method: 'patch',
    path: (c) => `/api/v1/connectors/${c.connectorId}`,
    dto: UpdateConnectorDto,
    body: (_c, k, v) => patchOf({ ...fullConnectorBody(), auth: { type: 'basic', username: 'svc-import', password: 'pa55-Secret-Value!' } }, k, v),
  },
  { name: 'POST /tasks', method: 'post', path: () => '/api/v1/tasks', dto: CreateTaskDto, body: (c, k, v) => withValue({ ...fullTaskBody(c.connectorId), name: uniq('nulls') }, k, v) },
  {
    name: 'PATCH /tasks/:id',
    method: 'patch',
    path: (c) => `/api/v1/tasks/${c.taskId}`,
    dto: UpdateTaskDto,
    body: (c, k, v) => patchOf({ ...fullTaskBody(c.connectorId), generic: genericSection }, k, v),
  },
  { name: 'POST /tasks/:id/runs', method: 'post', path: (c) => `/api/v1/tasks/${c.taskId}/runs`, dto: RunNowDto, body: (_c, k, v) => withValue({}, k, v) },
  { name: 'POST /runs/:id/retry', method: 'post', path: () => `/api/v1/runs/${randomUUID()}/retry`, dto: RetryRunDto, body: (_c, k, v) => withValue({ strategy: 'resume' }, k, v) },
  {
    name: 'POST /templates',
    method: 'post',
    path: () => '/api/v1/templates',
    dto: CreateTemplateDto,
    body: (_c, k, v) => withValue({ code: 'tpl', name: 'Template', attributes: [{ code: 'login', name: 'Login', type: 'string', multiple: false }] }, k, v),
  },
  { name: 'POST /folders', method: 'post', path: () => '/api/v1/folders', dto: CreateFolderDto, body: (_c, k, v) => withValue({ code: 'fld', name: 'Folder', templateCode: 'account' }, k, v) },
  // disabled: a subscription a case creates receives nothing
  {
    name: 'POST /webhooks',
    method: 'post',
    path: () => '/api/v1/webhooks',
    dto: CreateWebhookDto,
    body: (c, k, v) => withValue({ url: 'https://hooks.example.com/nulls', events: ['run.failed'], taskId: c.taskId, enabled: false }, k, v),
  },
  {
    name: 'PATCH /webhooks/:id',
    method: 'patch',
    path: () => `/api/v1/webhooks/${randomUUID()}`,
    dto: UpdateWebhookDto,
    body: (c, k, v) => patchOf({ url: 'https://hooks.example.com/nulls', events: ['run.failed'], taskId: c.taskId, enabled: false }, k, v),
  },
];

const CASES = ROUTES.flatMap((route) =>
  fieldsOf(route.dto).flatMap((field): Array<{ route: Route; field: FieldCase; value: unknown; label: string }> => [
    { route, field, value: null, label: 'null' },
    ...(field.kind === 'unknown' ? [] : [{ route, field, value: WRONG[field.kind], label: `wrong type (${JSON.stringify(WRONG[field.kind])})` }]),
  ]),
);

describe('null and wrong types on every request field', () => {
  let api: ApiHarness;
  const ctx: Ctx = { connectorId: '', taskId: '' };
  const auth = () => ({ Authorization: `Bearer ${api.adminToken}` });
  const createdTasks: string[] = [];
  const createdConnectors: string[] = [];

  beforeAll(async () => {
    api = await startApi();
    ctx.connectorId = (await api.http().post('/api/v1/connectors').set(auth()).send(connectorBody()).expect(201)).body.id;
    ctx.taskId = (await api.http().post('/api/v1/tasks').set(auth()).send(taskBody(ctx.connectorId)).expect(201)).body.id;
    createdTasks.push(ctx.taskId);
  });
  afterAll(async () => {
    for (const id of createdTasks) await api.http().delete(`/api/v1/tasks/${id}`).set(auth());
    for (const id of createdConnectors) await api.http().delete(`/api/v1/connectors/${id}`).set(auth());
    await api.close();
  });

  it('reads every field from the DTOs, nested ones included', () => {
    const paths = (dto: Dto) => fieldsOf(dto).map((f) => f.path);
    expect(paths(UpdateConnectorDto)).toEqual(expect.arrayContaining(['name', 'baseUrl', 'pageSize', 'timeoutMs', 'tls', 'tls.caPem', 'auth.type', 'auth.tokenUrl']));
    expect(paths(UpdateTaskDto)).toEqual(
      expect.arrayContaining(['type', 'mappingsType', 'enabled', 'schedule.cron', 'identity.unique.external', 'identity.attributes[0].transforms[0].op', 'safety.maxRemovals']),
    );
    expect(fieldsOf(UpdateTaskDto).filter((f) => f.kind === 'unknown').map((f) => f.path)).toEqual(['name']);
    expect(CASES.length).toBeGreaterThan(150);
  });

  it('covers every route of the OpenAPI document that takes a JSON body', async () => {
    type Operation = { requestBody?: { content: Record<string, { schema?: { $ref?: string } }> } };
    const doc: { paths: Record<string, Record<string, Operation>> } = (await api.http().get('/docs-json').expect(200)).body;
    const covered = new Set(ROUTES.map((r) => r.dto.name));
    const bodies: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const ref = op.requestBody?.content['application/json']?.schema?.$ref;
        if (ref) bodies.push(`${method.toUpperCase()} ${path} ${ref.split('/').pop()}`);
      }
    }
    expect(bodies.length).toBeGreaterThan(5);
    expect(bodies.filter((b) => !covered.has(b.split(' ')[2]))).toEqual([]);
  });

  it.each(CASES.map((c) => [`${c.route.name} ${c.field.path} = ${c.label}`, c] as const))('%s', async (_name, c) => {
    const res = await api.http()[c.route.method](c.route.path(ctx)).set(auth()).send(c.route.body(ctx, c.field.keys, c.value));
    if (res.status === 201 && c.route.path(ctx).endsWith('/tasks')) createdTasks.push(res.body.id);
    if (res.status === 201 && c.route.path(ctx).endsWith('/connectors')) createdConnectors.push(res.body.id);
    expect(res.status).toBeLessThan(500);
    const errors: Array<{ field: string; message: string }> = res.status >= 400 ? (JSON.parse(res.text).errors ?? []) : [];
    if (c.value === null && c.field.nullable) {
      // null means something here (unlimited, the default, no schedule, …): it is never refused as null
      expect(errors.filter((e) => e.field === c.field.path && /must not be null/.test(e.message))).toEqual([]);
      return;
    }
    expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({ status: 400, contentType: expect.stringMatching(/application\/problem\+json/) });
    expect(errors.map((e) => e.field)).toContain(c.field.path);
    if (c.value === null) expect(errors.find((e) => e.field === c.field.path)?.message).toMatch(/null|must be|immutable|cannot be changed/);
  });
});
