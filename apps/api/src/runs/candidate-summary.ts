import type { SummaryAttributes } from '@app/persistence';
import type { ResourceKind } from '@app/temporal';

/** An attribute mapping as a task stores it: only the SCIM path it reads and the card attribute it fills matter here. */
interface MappedAttribute {
  external?: unknown;
  local?: unknown;
}

/** A mapping section (identity, access, generic) as a task stores it. */
interface MappingSection {
  attributes?: unknown;
}

const CORE_SCHEMA = /^urn:ietf:params:scim:schemas:core:2\.0:(?:user|group):/i;

/**
 * How well the SCIM attribute at `path` sums up a record for the person deciding on its removal:
 * the login first, then an email, then a name; undefined for any other attribute. A group has
 * only its display name. SCIM attribute names are case-insensitive.
 */
function preference(kind: ResourceKind, path: string): number | undefined {
  const p = path.replace(CORE_SCHEMA, '').toLowerCase();
  if (kind === 'access') return p === 'displayname' ? 0 : undefined;
  if (p === 'username') return 0;
  if (p === 'emails' || p.startsWith('emails[') || p.startsWith('emails.')) return 1;
  if (p === 'displayname') return 2;
  if (p === 'name.formatted') return 3;
  if (p.startsWith('name.')) return 4;
  return undefined;
}

/**
 * Per kind, the card attributes a removal candidate is summed up by (login, email or name), in
 * order of preference and then of the mapping: read from the mapping sections of the task
 * configuration a run used. A constant says nothing about a card, and only attributes the
 * mapping fills from the source are ever considered, so nothing else of a card is shown.
 */
export function summaryAttributesOf(config: unknown): SummaryAttributes {
  const out: SummaryAttributes = {};
  if (typeof config !== 'object' || config === null) return out;
  for (const kind of ['identity', 'access', 'generic'] as const) {
    const section = (config as Record<string, MappingSection | null | undefined>)[kind];
    if (!section || !Array.isArray(section.attributes)) continue;
    const ranked = (section.attributes as MappedAttribute[])
      .map((a, index) => ({ a, index, rank: typeof a?.external === 'string' && typeof a.local === 'string' ? preference(kind, a.external) : undefined }))
      .filter((x): x is { a: MappedAttribute & { local: string }; index: number; rank: number } => x.rank !== undefined)
      .sort((x, y) => x.rank - y.rank || x.index - y.index)
      .map((x) => x.a.local);
    const codes = [...new Set(ranked)];
    if (codes.length) out[kind] = codes;
  }
  return out;
}
