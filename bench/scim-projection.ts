/**
 * The `attributes=` projection of RFC 7644 §3.4.2.5, as the fixture source applies it: a pure
 * function of a resource and the attribute names a request listed. It returns `id` (returned
 * "always", RFC 7643 §3.1) and `schemas` (every resource carries it), and of the rest only
 * what was named, in standard attribute notation (RFC 7644 §3.10), case-insensitively:
 *
 * - `userName`, `name` (the whole complex attribute), `name.givenName` (one sub-attribute);
 * - `emails.value`: that sub-attribute of every value of a multi-valued attribute;
 * - a URN prefix: `urn:ietf:params:scim:schemas:core:2.0:User:userName` is `userName`;
 *   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department` is `department`
 *   inside the extension's object; the extension's URN alone is the whole extension object.
 *
 * Names that match nothing are ignored, as servers do. Key order and spelling are the resource's.
 */

/** A name's path below the resource: `true` keeps the whole value, a map keeps only the named sub-attributes. */
type Selection = true | Map<string, Selection>;

/** The names of `attributes=` (comma-separated, blanks ignored); empty when the parameter is absent or blank. */
export function parseAttributesParam(raw: string | null | undefined): string[] {
  if (raw === null || raw === undefined) return [];
  return raw
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/** A canonical spelling of a list of names (lowercase, sorted, deduplicated), e.g. for a cache key. */
export function projectionKey(attributes: readonly string[]): string {
  return [...new Set(attributes.map((a) => a.toLowerCase()))].sort().join(',');
}

function select(into: Map<string, Selection>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || head === '') return;
  const key = head.toLowerCase();
  const had = into.get(key);
  if (had === true) return;
  if (rest.length === 0) {
    into.set(key, true);
    return;
  }
  const below = had ?? new Map<string, Selection>();
  into.set(key, below);
  select(below, rest);
}

function schemasOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}

/**
 * Which attributes of a resource with these top-level `keys` and `schemas` the names select;
 * `true` when a name is the core schema's URN (everything).
 */
function selectionOf(keys: readonly string[], schemas: readonly string[], attributes: readonly string[]): Selection {
  const root = new Map<string, Selection>();
  // an extension's attributes sit in an object under its URN; the core schema's at the top level
  const extensions = new Set(keys.filter((k) => k.toLowerCase().startsWith('urn:')).map((k) => k.toLowerCase()));
  const urns = [...new Set([...schemas.map((s) => s.toLowerCase()), ...extensions])].sort((a, b) => b.length - a.length);
  for (const name of attributes) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('urn:')) {
      select(root, name.split('.'));
      continue;
    }
    // the longest URN the name starts with (URNs hold dots, so they are matched before splitting)
    const urn = urns.find((u) => lower === u || lower.startsWith(`${u}:`));
    if (urn === undefined) continue;
    const rest = name.slice(urn.length + 1);
    if (extensions.has(urn)) {
      if (rest === '') root.set(urn, true);
      else if (root.get(urn) !== true) {
        const below = (root.get(urn) as Map<string, Selection> | undefined) ?? new Map<string, Selection>();
        root.set(urn, below);
        select(below, rest.split('.'));
      }
    } else if (rest === '') {
      return true;
    } else {
      select(root, rest.split('.'));
    }
  }
  return root;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parts of `value` a selection keeps; undefined when nothing is left. */
function pick(value: unknown, selection: Selection): unknown {
  if (selection === true) return value;
  if (Array.isArray(value)) {
    const kept = value.map((v) => pick(v, selection)).filter((v) => v !== undefined);
    return kept.length > 0 ? kept : undefined;
  }
  if (!isObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const below = selection.get(k.toLowerCase());
    if (below === undefined) continue;
    const kept = pick(v, below);
    if (kept !== undefined) out[k] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `resource` with only `id`, `schemas` and the named attributes; the resource itself when no names are given. */
export function projectResource(resource: Record<string, unknown>, attributes: readonly string[]): Record<string, unknown> {
  if (attributes.length === 0) return resource;
  const selection = selectionOf(Object.keys(resource), schemasOf(resource.schemas), attributes);
  if (selection === true) return resource;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) {
    const lower = k.toLowerCase();
    if (lower === 'id' || lower === 'schemas') {
      out[k] = v;
      continue;
    }
    const below = selection.get(lower);
    if (below === undefined) continue;
    const kept = pick(v, below);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}

/**
 * A record as its top-level attributes, each [name, JSON text of its value], in order: how the
 * data generator writes records, so that the fixture can project one without parsing all of it.
 */
export type JsonParts = Array<[name: string, json: string]>;

/** The record's JSON text (names are generated ASCII and need no escaping). */
export function jsonOfParts(parts: JsonParts): string {
  let out = '{';
  for (let k = 0; k < parts.length; k++) out += `${k === 0 ? '' : ','}"${parts[k][0]}":${parts[k][1]}`;
  return `${out}}`;
}

/**
 * projectResource on a record in parts, as JSON text: a whole attribute is copied as text, and
 * only an attribute of which some sub-attributes are named is parsed. The same text as
 * JSON.stringify(projectResource(JSON.parse(jsonOfParts(parts)), attributes)) (scim-projection.spec.ts).
 */
export function projectParts(parts: JsonParts, attributes: readonly string[]): string {
  if (attributes.length === 0) return jsonOfParts(parts);
  const schemasPart = parts.find(([name]) => name.toLowerCase() === 'schemas');
  const schemas = schemasPart ? schemasOf(JSON.parse(schemasPart[1])) : [];
  const selection = selectionOf(
    parts.map(([name]) => name),
    schemas,
    attributes,
  );
  if (selection === true) return jsonOfParts(parts);
  const kept: JsonParts = [];
  for (const [name, json] of parts) {
    const lower = name.toLowerCase();
    const below = lower === 'id' || lower === 'schemas' ? true : selection.get(lower);
    if (below === undefined) continue;
    if (below === true) {
      kept.push([name, json]);
      continue;
    }
    const picked = pick(JSON.parse(json), below);
    if (picked !== undefined) kept.push([name, JSON.stringify(picked)]);
  }
  return jsonOfParts(kept);
}
