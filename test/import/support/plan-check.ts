/**
 * Reads an EXPLAIN (FORMAT JSON) plan for the shapes that make a statement's time depend on the
 * planner's luck: work over the big tables (staging and the target) repeated once per row of
 * another input. A repeated part may only probe those tables by index; a nested loop may not
 * walk a run's staged rows on its outer side.
 */

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  Plans?: PlanNode[];
}

/** Tables that grow with the source: anything repeated over them per row is quadratic. */
const BIG_TABLES = new Set(['staging_record', 'datacard', 'datacard_sighting', 'datacard_link', 'run_record']);
const PROBES = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']);
/** Nodes that hold or recompute their whole input on each rescan. */
const ACCUMULATORS = new Set(['Materialize', 'Sort', 'Incremental Sort', 'Hash', 'Aggregate', 'WindowAgg', 'Unique', 'SetOp']);

/** The table a plan node reads: a run's staging partition (libs/persistence/src/staging/staging-partition.ts) counts as staging_record. */
const relation = (n: PlanNode) => (n['Relation Name'] && /^staging_run_[0-9a-f]{32}$/.test(n['Relation Name']) ? 'staging_record' : n['Relation Name']);

const label = (n: PlanNode) => `${n['Node Type']}${n['Relation Name'] ? ` on ${relation(n)}` : ''}`;

function readsBigTable(n: PlanNode, probesAllowed: boolean): PlanNode | undefined {
  const table = relation(n);
  if (table && BIG_TABLES.has(table) && !(probesAllowed && PROBES.has(n['Node Type']) && n['Index Cond'])) return n;
  for (const child of n.Plans ?? []) {
    const found = readsBigTable(child, probesAllowed);
    if (found) return found;
  }
  return undefined;
}

/** Reads a run's staged rows other than by a probe of its full key. */
function walksStaging(n: PlanNode): boolean {
  if (relation(n) === 'staging_record' && !(PROBES.has(n['Node Type']) && /source_id\s*=/.test(n['Index Cond'] ?? ''))) return true;
  return (n.Plans ?? []).some(walksStaging);
}

/** What in the plan repeats work over a big table per row; empty when nothing does. */
export function planProblems(root: PlanNode): string[] {
  const problems: string[] = [];
  // a hashed SubPlan runs once and is probed through its hash table (PostgreSQL names it "hashed
  // SubPlan N" where the plan uses it)
  const text = JSON.stringify(root);
  const hashed = (name: string | undefined) => name !== undefined && (name.startsWith('hashed') || text.includes(`hashed ${name}`));
  const visit = (n: PlanNode, repeatedBy: string | undefined): void => {
    if (repeatedBy) {
      const offender = ACCUMULATORS.has(n['Node Type']) ? readsBigTable(n, false) : n['Relation Name'] ? readsBigTable({ ...n, Plans: [] }, true) : undefined;
      if (offender) problems.push(`${label(n)} over ${label(offender)} runs again for each row of ${repeatedBy}`);
    }
    const children = n.Plans ?? [];
    if (n['Node Type'] === 'Nested Loop' && children.length === 2) {
      const [outer, inner] = children;
      if (walksStaging(outer)) problems.push(`Nested Loop over the staged rows of ${label(outer)} (inner: ${label(inner)})`);
      visit(outer, repeatedBy);
      visit(inner, repeatedBy ?? `the Nested Loop's outer ${label(outer)}`);
      return;
    }
    for (const child of children) {
      const perRow = child['Parent Relationship'] === 'SubPlan' && !hashed(child['Subplan Name']);
      visit(child, repeatedBy ?? (perRow ? `the rows that call ${child['Subplan Name'] ?? 'a SubPlan'}` : undefined));
    }
  };
  visit(root, undefined);
  return problems;
}
