import { ScimConfigError, type ScimClient, type ScimResource } from '@app/scim';
import type { ResourceKind } from '@app/temporal';
import type { TaskConfig } from '../run-config/task-config';
import { listingAttributes, projectionIgnored, projectionMismatch } from './listing-attributes';

export const PROJECTION_FALLBACK_NOTE = 'source cannot list with attributes=; read whole records';
export const PROJECTION_IGNORED_NOTE = 'source ignores attributes= and sends whole records';

/** A 400 or a 501 to a listing that named attributes: the server refuses the parameter (or one of its names). */
export function rejectsProjection(err: unknown): boolean {
  if (!(err instanceof ScimConfigError)) return false;
  const type = err.scimType?.toLowerCase();
  return err.status === 501 || (err.status === 400 && type !== 'invalidcursor' && type !== 'expiredcursor' && type !== 'invalidfilter');
}

/** What a listing of a resource asks for, and the run note that explains a whole-record read. */
export interface ProjectionChoice {
  /** the `attributes=` of the listing; undefined reads whole records */
  attributes?: string[];
  note?: string;
}

/**
 * Decides whether a resource is listed with `attributes=` (listingAttributes): only when the
 * connector allows it and the first page read projected maps exactly like the same page read
 * whole. A source that rejects the parameter or drops what it cannot project is read whole
 * (with a note); one that ignores it is read as it answers (with a note). Costs two requests of
 * the listing's page size; the whole page is read first, so a source whose first page cannot be
 * read fails exactly as its listing would. `checkFilter` is the filter those two requests use
 * (an incremental read checks on what changed, a much smaller page).
 */
export async function chooseProjection(
  client: ScimClient,
  config: TaskConfig,
  kind: ResourceKind,
  spec: { path: string; filter?: string },
  enabled: boolean | undefined,
  pageSize: number | undefined,
  checkFilter = spec.filter,
): Promise<ProjectionChoice> {
  if (enabled === false) return {};
  const attributes = listingAttributes(config, kind, spec.filter);
  if (!attributes) return {};
  const check = { path: spec.path, filter: checkFilter };
  const whole = await firstPage(client, check, undefined, pageSize);
  let projected: ScimResource[];
  try {
    projected = await firstPage(client, check, attributes, pageSize);
  } catch (err) {
    if (!rejectsProjection(err)) throw err;
    const refusal = err as ScimConfigError;
    return { note: `${PROJECTION_FALLBACK_NOTE} (${spec.path}: HTTP ${refusal.status}${refusal.scimType ? ` ${refusal.scimType}` : ''}: ${refusal.message})` };
  }
  const section = config[kind];
  const paths = [section?.unique.external, ...(section?.attributes ?? []).map((a) => a.external)].filter((p): p is string => typeof p === 'string');
  // members are not compared: a listing may omit them either way, and a group listed without them has them read by id
  const mismatch = projectionMismatch(paths, projected, whole);
  if (mismatch) return { note: `${PROJECTION_FALLBACK_NOTE} (${spec.path}: ${mismatch})` };
  if (projectionIgnored(attributes, projected)) return { attributes, note: `${PROJECTION_IGNORED_NOTE} (${spec.path})` };
  return { attributes };
}

async function firstPage(client: ScimClient, spec: { path: string; filter?: string }, attributes: string[] | undefined, pageSize: number | undefined): Promise<ScimResource[]> {
  const listing = client.listResources(spec.path, { filter: spec.filter, attributes, pageSize, tailCheck: false });
  const pages = listing.pages()[Symbol.asyncIterator]();
  try {
    const first = await pages.next();
    return first.done ? [] : first.value.resources;
  } finally {
    await pages.return(undefined);
  }
}
