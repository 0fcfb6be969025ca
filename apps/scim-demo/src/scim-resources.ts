import SCIMMY from 'scimmy';
import { DeviceResource } from './device-resource';
import { DemoStore, StoreError, type Json, type ResourceKind, type StoredRecord } from './demo-store';

/** Page size when a client sends no `count` (scimmy itself would silently use 20). */
export const DEFAULT_PAGE_SIZE = 100;

const ScimError = SCIMMY.Types.Error;

type AnyResource = InstanceType<typeof SCIMMY.Types.Resource>;
interface Constraints {
  sortBy?: string;
  sortOrder?: string;
  startIndex?: number;
  count?: number;
  totalResults?: number;
}

let declared = false;

/**
 * Declares User (with the enterprise extension), Group and Device on scimmy's process-wide registry.
 * Handlers find their data through the request context, so several servers can run in one process.
 */
export function declareScimResources(): void {
  if (declared) return;
  declared = true;
  const { User, Group } = SCIMMY.Resources;
  const enterprise = SCIMMY.Schemas.EnterpriseUser;
  const alreadyExtended = User.schema.definition.attributes.some((a: unknown) => (a as { id?: string }).id === enterprise.id);
  if (!alreadyExtended) User.extend(enterprise as any, false);

  for (const [resource, kind, name] of [
    [User, 'User', 'User'],
    [Group, 'Group', 'Group'],
    [DeviceResource, 'Device', 'Device'],
  ] as const) {
    if (!SCIMMY.Resources.declared(resource as any)) SCIMMY.Resources.declare(resource as any, name);
    (resource as any).ingress((r: AnyResource, instance: unknown, ctx: unknown) => ingress(kind, r, instance, ctx));
    (resource as any).egress((r: AnyResource, ctx: unknown) => egress(kind, r, ctx));
    (resource as any).degress((r: AnyResource, ctx: unknown) => degress(kind, r, ctx));
  }
}

function storeOf(ctx: unknown): DemoStore {
  if (ctx instanceof DemoStore) return ctx;
  throw new ScimError(500, '', 'Demo store missing from request context');
}

function egress(kind: ResourceKind, resource: AnyResource, ctx: unknown): Json | Json[] {
  const store = storeOf(ctx);
  if (resource.id) {
    const record = store.get(kind, resource.id);
    if (!record) throw new ScimError(404, '', `Resource ${resource.id} not found`);
    return store.render(record);
  }
  const constraints: Constraints = { ...(resource.constraints ?? {}) };
  const sortBy = constraints.sortBy ? canonicalPath(kind, constraints.sortBy) : undefined;
  const matches = store.query(kind, resource.filter, sortBy, constraints.sortOrder);
  const startIndex = constraints.startIndex ?? 1;
  const count = constraints.count ?? DEFAULT_PAGE_SIZE;
  // The page is already in order; scimmy must not sort it again with a case-sensitive key.
  resource.constraints = { startIndex, count, totalResults: matches.length } as Constraints as any;
  return pageForListResponse(matches, startIndex, count).map((r) => store.render(r));
}

/**
 * Which records to hand to scimmy so that its ListResponse yields exactly the requested page.
 * ListResponse slices at startIndex only when `length >= startIndex` and `totalResults !== length +
 * startIndex - 1`; returning just the page satisfies that for most pages, and for a small startIndex
 * the preceding records are included (plus one more if the lengths would collide) so it slices them off.
 * Only O(count) records are rendered per request, whatever the collection size.
 */
export function pageForListResponse<T>(matches: readonly T[], startIndex: number, count: number): T[] {
  const total = matches.length;
  const offset = startIndex - 1;
  const page = matches.slice(offset, offset + count);
  if (page.length < startIndex) return page;
  let end = offset + count;
  if (total === Math.min(end, total) + offset) end += 1;
  return matches.slice(0, end);
}

function ingress(kind: ResourceKind, resource: AnyResource, instance: unknown, ctx: unknown): Json {
  const store = storeOf(ctx);
  const attributes = JSON.parse(JSON.stringify(instance)) as Json;
  try {
    const record: StoredRecord = resource.id ? store.replace(kind, resource.id, attributes) : store.create(kind, attributes);
    return store.render(record);
  } catch (ex) {
    throw asScimError(ex);
  }
}

function degress(kind: ResourceKind, resource: AnyResource, ctx: unknown): void {
  try {
    storeOf(ctx).remove(kind, resource.id!);
  } catch (ex) {
    throw asScimError(ex);
  }
}

function asScimError(ex: unknown): unknown {
  if (ex instanceof StoreError) return new ScimError(ex.status, ex.scimType ?? '', ex.message);
  return ex;
}

/** Maps a client's sortBy (any case, extension URN allowed) onto the attribute names records are stored with. */
function canonicalPath(kind: ResourceKind, path: string): string {
  const resource = kind === 'User' ? SCIMMY.Resources.User : kind === 'Group' ? SCIMMY.Resources.Group : DeviceResource;
  let attributes = resource.schema.definition.attributes as Array<{ name?: string; id?: string; attributes?: unknown[]; subAttributes?: unknown[] }>;
  let rest = path;
  const canonical: string[] = [];
  const extension = attributes.find((a) => a.id && rest.toLowerCase().startsWith(`${a.id.toLowerCase()}:`));
  if (extension) {
    canonical.push(extension.id!);
    rest = rest.slice(extension.id!.length + 1);
    attributes = (extension.attributes ?? []) as typeof attributes;
  }
  for (const segment of rest.split('.')) {
    const attribute = attributes.find((a) => a.name?.toLowerCase() === segment.toLowerCase());
    canonical.push(attribute?.name ?? segment);
    attributes = (attribute?.subAttributes ?? []) as typeof attributes;
  }
  return extension ? `${canonical[0]}:${canonical.slice(1).join('.')}` : canonical.join('.');
}
