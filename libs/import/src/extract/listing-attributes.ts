import { canonicalJson, evaluatePath, parseAttributePath, parseFilter, type FilterNode, type PathSegment } from '@app/mapping';
import type { ResourceKind } from '@app/temporal';
import type { TaskConfig } from '../run-config/task-config';

/**
 * Attributes every projected listing asks for: `id` identifies a record (servers return it
 * anyway, `returned: always`), `meta` carries lastModified (incremental reads) and created (the
 * listing's tail check).
 */
const ALWAYS = ['id', 'meta'];

/**
 * The `attributes=` of a listing (RFC 7644 §3.4.2.5) of one resource kind of a task: `id`, `meta`
 * and every attribute the kind's mapping reads (unique identifier, attribute mappings, the group's
 * `members` when memberships are mapped) or its filter tests (so the listing can still tell a
 * server that ignored the filter). Removal and reactivation write local status attributes and read
 * nothing from the source. A path with a value filter asks for its whole attribute up to that
 * filter (`emails[type eq "work"].value` → `emails`: the filter needs `type`); other paths ask for
 * what they name (`name.givenName`, extension attributes by their URN), and a sub-attribute is
 * dropped when its parent is asked for whole. Undefined when the mapping or the filter cannot be
 * parsed: such a task reads whole records, and its mapping reports the error as it always has.
 */
export function listingAttributes(config: TaskConfig, kind: ResourceKind, filter?: string): string[] | undefined {
  const section = config[kind];
  if (!section) return undefined;
  const names: string[] = [...ALWAYS];
  try {
    if (typeof section.unique?.external !== 'string') return undefined;
    names.push(pathName(parseAttributePath(section.unique.external)));
    for (const a of section.attributes ?? []) {
      if (typeof a.external === 'string') names.push(pathName(parseAttributePath(a.external)));
    }
    if (kind === 'access' && section.members?.local) names.push('members');
    if (filter !== undefined && filter.trim() !== '') names.push(...filterNames(parseFilter(filter)));
  } catch {
    return undefined;
  }
  return withoutCovered(names);
}

/** The attribute a path reads, as `attributes=` names it: up to (and including) its first value filter. */
function pathName(path: { schema?: string; segments: PathSegment[] }): string {
  const end = path.segments.findIndex((s) => s.filter !== undefined);
  const steps = (end < 0 ? path.segments : path.segments.slice(0, end + 1)).map((s) => s.name).join('.');
  return path.schema ? `${path.schema}:${steps}` : steps;
}

/** The attributes a filter tests; value filters inside brackets test sub-attributes of the attribute named before them. */
function filterNames(node: FilterNode): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...filterNames(node.left), ...filterNames(node.right)];
    case 'not':
      return filterNames(node.operand);
    default:
      return [pathName({ schema: node.schema, segments: node.path })];
  }
}

/**
 * Names without repeats (attribute names are case-insensitive) and without sub-attributes whose
 * parent is already asked for whole (`name` covers `name.givenName`); first spelling and order kept.
 */
function withoutCovered(names: string[]): string[] {
  const keys = names.map((n) => n.toLowerCase());
  const seen = new Set<string>();
  const out: string[] = [];
  names.forEach((name, i) => {
    const key = keys[i];
    if (seen.has(key)) return;
    // a parent is `x` for `x.y`, or `urn:…:x` for `urn:…:x.y` (the URN's own dots come before its last colon)
    const attribute = key.slice(key.lastIndexOf(':') + 1);
    const prefix = key.slice(0, key.length - attribute.length);
    const parts = attribute.split('.');
    for (let n = 1; n < parts.length; n++) if (keys.includes(prefix + parts.slice(0, n).join('.'))) return;
    seen.add(key);
    out.push(name);
  });
  return out;
}

/**
 * Why records read with `attributes=` cannot stand in for the same records read whole: the first
 * mapped path (`paths`, as the mapping reads them) whose value differs for a record in both reads,
 * or that the two reads share no record to compare. Undefined when every shared record agrees.
 * A server that drops what it cannot project (sub-attributes, extensions) is caught here.
 */
export function projectionMismatch(paths: string[], projected: Array<{ id: string }>, whole: Array<{ id: string }>): string | undefined {
  if (projected.length === 0 && whole.length === 0) return undefined;
  const wholeById = new Map(whole.map((r) => [r.id, r]));
  const parsed = paths.map((p) => parseAttributePath(p));
  let shared = 0;
  for (const record of projected) {
    const full = wholeById.get(record.id);
    if (!full) continue;
    shared += 1;
    for (const path of parsed) {
      if (canonicalJson(evaluatePath(record, path) ?? null) !== canonicalJson(evaluatePath(full, path) ?? null)) {
        return `"${path.expression}" of record ${record.id} differs from the whole record`;
      }
    }
  }
  return shared === 0 ? 'the projected and the whole first page share no record to compare' : undefined;
}

/**
 * Whether a projected answer carries top-level attributes it was not asked for: the server
 * ignores `attributes=` (harmless, the mapping reads only what it maps, but nothing is saved).
 */
export function projectionIgnored(attributes: string[], projected: Array<Record<string, unknown>>): boolean {
  const asked = new Set(['schemas', ...attributes.map((a) => topLevel(a))]);
  return projected.some((r) => Object.keys(r).some((k) => !asked.has(k.toLowerCase())));
}

/** The top-level member of a record an attribute name lives in: `name` for `name.givenName`, the URN for an extension attribute. */
function topLevel(attribute: string): string {
  const key = attribute.toLowerCase();
  const colon = key.lastIndexOf(':');
  if (colon < 0) return key.split('.')[0];
  // core attributes may be named by their schema URN and still live at the top level
  return key.startsWith('urn:ietf:params:scim:schemas:core:') ? key.slice(colon + 1).split('.')[0] : key.slice(0, colon);
}
