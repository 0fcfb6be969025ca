import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Response schemas of POST /tasks/preview and POST /tasks/:id/preview (documentation only: the service builds plain objects). */

export class AttributeSourceView {
  @ApiProperty({ enum: ['external', 'constant', 'unique', 'members'], description: 'what produced the value' })
  from: 'external' | 'constant' | 'unique' | 'members';

  @ApiPropertyOptional({ example: 'emails[type eq "work"].value', description: 'the SCIM attribute expression (external, unique)' })
  expression?: string;

  @ApiPropertyOptional({ description: 'the configured constant (constant; or the fallback of an external expression)' })
  constant?: unknown;

  @ApiPropertyOptional({ type: [String], example: ['trim', 'lower'], description: 'transform ops applied in order' })
  transforms?: string[];

  @ApiPropertyOptional({ description: 'what the expression read from the record, before transforms and type coercion; absent when it read nothing' })
  sourceValue?: unknown;

  @ApiPropertyOptional({ description: 'the expression read nothing and the constant filled in' })
  constantUsed?: boolean;

  @ApiPropertyOptional({ description: 'members: user members the group lists' })
  members?: number;

  @ApiPropertyOptional({ description: "members: how many of them are already account datacards of this task (a run resolves the rest to the accounts it loads first)" })
  resolved?: number;
}

export class PreviewChangeView {
  @ApiProperty({ example: 'email' })
  attribute: string;

  @ApiProperty({ nullable: true, description: 'the value on the current datacard' })
  before: unknown;

  @ApiProperty({ nullable: true, description: 'the value a run would write' })
  after: unknown;
}

export class PreviewRecordView {
  @ApiProperty({ nullable: true, type: String, description: 'the SCIM id (null when the listing could not read one)' })
  sourceId: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'the unique value (null when the record has none)' })
  unique: string | null;

  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true, description: 'the mapped datacard attributes, as a run would write them' })
  card: Record<string, unknown> | null;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/AttributeSourceView' }, description: 'per card attribute: where its value came from' })
  sources: Record<string, AttributeSourceView>;

  @ApiProperty({ enum: ['create', 'update', 'unchanged'], nullable: true, description: 'what a run would do against the current target; null for a record that fails' })
  action: 'create' | 'update' | 'unchanged' | null;

  @ApiPropertyOptional({ format: 'uuid', description: 'the existing datacard an update or unchanged record matches' })
  datacardId?: string;

  @ApiProperty({ type: [PreviewChangeView], description: 'update: the attributes that would change, before → after' })
  changes: PreviewChangeView[];

  @ApiProperty({ type: [String], example: ['missing unique attribute "externalId"'], description: 'why the record would fail, in the words a run records' })
  errors: string[];

  @ApiPropertyOptional({ description: 'an update without attribute changes: why a run pushes it again' })
  reason?: string;
}

export class PreviewCountsView {
  @ApiProperty() create: number;
  @ApiProperty() update: number;
  @ApiProperty() unchanged: number;
  @ApiProperty() failed: number;
}

export class PreviewExtrapolationView extends PreviewCountsView {
  @ApiProperty({ description: 'records a run would read (totalResults)' })
  records: number;
}

export class PreviewResourceView {
  @ApiProperty({ enum: ['identity', 'access', 'generic'] })
  kind: string;

  @ApiProperty({ example: '/Users' })
  path: string;

  @ApiProperty({ nullable: true, type: String, description: 'the task filter sent with the listing' })
  filter: string | null;

  @ApiProperty({ nullable: true, type: Number, description: 'totalResults as the source reported it' })
  totalResults: number | null;

  @ApiProperty({ description: 'records read (including those that fail)' })
  sampled: number;

  @ApiProperty({ type: PreviewCountsView })
  counts: PreviewCountsView;

  @ApiProperty({ type: PreviewExtrapolationView, nullable: true, description: 'the sample scaled to totalResults; null when the source reported no total' })
  extrapolated: PreviewExtrapolationView | null;

  @ApiProperty({ type: [PreviewRecordView] })
  records: PreviewRecordView[];
}

export class PreviewRemovalsView {
  @ApiProperty({ enum: [false], description: 'always false: a sample cannot prove that a record is gone' })
  reported: false;

  @ApiProperty()
  reason: string;

  @ApiProperty({ nullable: true, type: Number, description: 'saved tasks: active datacards this task owns (none of them is reported as a removal)' })
  ownedActive: number | null;
}

export class ScheduleAdviceView {
  @ApiProperty({ enum: ['info', 'warning'] })
  level: 'info' | 'warning';

  @ApiProperty({ example: 'a full read of 3,000 users (measured by run …) is scheduled every 60 minutes; at this size the reference is every 4 hours: schedule it less often, or make it incremental' })
  message: string;
}

export class TaskPreviewView {
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'the saved task previewed (null for an unsaved body)' })
  taskId: string | null;

  @ApiProperty({ description: 'records read at most per resource' })
  limit: number;

  @ApiProperty({ type: [PreviewResourceView] })
  resources: PreviewResourceView[];

  @ApiProperty({ nullable: true, type: Number, description: 'records a run would read: the sum of totalResults (null when a source reported none)' })
  extrapolatedRunSize: number | null;

  @ApiProperty({ type: PreviewRemovalsView })
  removals: PreviewRemovalsView;

  @ApiProperty({ type: [String], description: 'what the preview did and did not do' })
  notes: string[];

  @ApiProperty({ type: [ScheduleAdviceView], description: "schedule advice from the preview's totals" })
  scheduleAdvice: ScheduleAdviceView[];
}
