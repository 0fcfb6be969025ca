export {
  MappingExpressionError,
  parseAttributePath,
  validateAttributePath,
  type CompareOp,
  type FilterNode,
  type Literal,
  type NameStep,
  type ParsedPath,
  type PathSegment,
} from './attribute-path';
export { evaluatePath, matchesFilter } from './evaluate-path';
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
