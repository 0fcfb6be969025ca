/** Configuration and result types of record mapping (shared by the API's validation and the import activities). */

export type Transform =
  | { op: 'lower' }
  | { op: 'upper' }
  | { op: 'trim' }
  /** array -> string (default separator ', ') */
  | { op: 'join'; separator?: string }
  /** used when the value is missing or empty */
  | { op: 'default'; value: string | number | boolean };

export interface AttributeMapping {
  external?: string;
  constant?: string | number | boolean;
  local: string;
  transforms?: Transform[];
}

export interface UniqueMapping {
  external: string;
  local: string;
}

export interface TargetAttribute {
  code: string;
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'reference';
  multiple?: boolean;
}

export interface RecordMapping {
  unique: UniqueMapping;
  attributes: AttributeMapping[];
}

export type MapResult =
  | { ok: true; uniqueValue: string; attributes: Record<string, unknown>; hash: string }
  | { ok: false; reason: string };

/** A mapping compiled once (paths parsed, targets resolved) and applied to many records. */
export interface CompiledRecordMapping {
  map(record: unknown): MapResult;
}

export interface CompileOptions {
  /** What to do with a mapping whose `local` is not among the target attributes: throw (default) or treat it as a single string. */
  unknownTargets?: 'error' | 'string';
}
