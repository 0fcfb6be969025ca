import { evaluateFilter as evaluate, RETURNED_RECORD, type FilterNode, type FilterVerdict } from '@app/mapping';
import { parseScimFilter } from './filter';

export type { FilterVerdict };

/**
 * Evaluates a parsed filter against one record a server returned, with three-valued logic: the
 * shared evaluator of libs/mapping under RETURNED_RECORD (attributes may be missing because they
 * were not returned; where servers decide differently the answer is "cannot tell").
 */
export function evaluateFilter(resource: unknown, filter: FilterNode): FilterVerdict {
  return evaluate(resource, filter, RETURNED_RECORD);
}

/**
 * Compiles a filter into a check that says whether a returned record certainly falls outside it,
 * which is how a listing notices a server that silently ignored the filter.
 */
export function compileFilterCheck(filter: string): (resource: unknown) => FilterVerdict {
  const ast = parseScimFilter(filter);
  return (resource) => evaluateFilter(resource, ast);
}
