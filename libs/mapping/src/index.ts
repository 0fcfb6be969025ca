export {
  MappingExpressionError,
  parseAttributePath,
  parseFilter,
  validateAttributePath,
  type CompareOp,
  type FilterNode,
  type Literal,
  type NameStep,
  type ParsedPath,
  type PathSegment,
} from './attribute-path';
export { evaluatePath, matchesFilter } from './evaluate-path';
export { COMPLETE_RECORD, evaluateFilter, RETURNED_RECORD, type FilterSemantics, type FilterVerdict } from './filter-match';
export { compileRecordMapping, MappingConfigError } from './record-mapping';
export { canonicalJson, stableHash } from './stable-hash';
export { clearBoundary } from './clear-boundary';
export { parseIsoUtc } from './iso-date';
export type {
  AttributeMapping,
  CompileOptions,
  CompiledRecordMapping,
  MapResult,
  RecordMapping,
  TargetAttribute,
  Transform,
  UniqueMapping,
} from './mapping-types';
