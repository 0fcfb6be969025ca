import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'terminated', 'timedOut'] as const;
export const REMOVAL_STATES = ['skipped', 'awaitingApproval', 'applying', 'applied', 'rejected', 'expired', 'cancelled', 'dryRun'] as const;

export class RunStatsView {
  @ApiProperty() fetched: number;
  @ApiProperty() created: number;
  @ApiProperty() updated: number;
  @ApiProperty() unchanged: number;
  @ApiProperty() removed: number;
  @ApiProperty() failed: number;
}

export class RunErrorView {
  @ApiProperty({ example: 'ScimAuthError' }) type: string;
  @ApiProperty() message: string;
}

/** One resource's completeness report: whether the listing proved it saw the whole set, and why. */
export class ExtractReportView {
  @ApiProperty({ example: '/Users' }) path: string;
  @ApiPropertyOptional({ enum: ['index', 'cursor'] }) pagingMethod?: string;
  @ApiPropertyOptional() distinctIds?: number;
  @ApiPropertyOptional() duplicatesDropped?: number;
  @ApiPropertyOptional() rejected?: number;
  @ApiPropertyOptional() totalResultsClaimed?: number;
  @ApiPropertyOptional() pages?: number;
  @ApiProperty() complete: boolean;
  @ApiProperty() reason: string;
  @ApiPropertyOptional() filteredOut?: number;
  @ApiPropertyOptional() zeroBasedStartIndex?: boolean;
  @ApiPropertyOptional() restarts?: number;
}

export class PerKindView {
  @ApiProperty() identity: number;
  @ApiProperty() access: number;
  @ApiProperty() generic: number;
}

export class RemovalThresholdView {
  @ApiProperty() maxRemovalPercent: number;
  @ApiPropertyOptional() maxRemovals?: number;
  @ApiProperty({ type: PerKindView, description: 'active datacards per mapping when the set was computed' }) active: PerKindView;
  @ApiProperty() exceeded: boolean;
}

/** Where a run's removal reconciliation stands (docs/removals-and-retries.md). */
export class RunRemovalView {
  @ApiProperty({ enum: REMOVAL_STATES }) state: (typeof REMOVAL_STATES)[number];
  @ApiPropertyOptional() reason?: string;
  @ApiPropertyOptional({ type: PerKindView }) candidates?: PerKindView;
  @ApiPropertyOptional() total?: number;
  @ApiPropertyOptional({ type: RemovalThresholdView }) threshold?: RemovalThresholdView;
  @ApiPropertyOptional({ format: 'date-time' }) computedAt?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'awaitingApproval: when the pending removals expire' }) decisionDeadline?: string;
  @ApiPropertyOptional({ enum: ['withinThreshold', 'approved', 'rejected', 'expired'] }) decision?: string;
  @ApiPropertyOptional({ format: 'date-time' }) decidedAt?: string;
  @ApiPropertyOptional() removed?: number;
  @ApiPropertyOptional() seenSinceComputed?: number;
}

/** How far the read of one resource has come, while the run works. */
export class ResourceProgressView {
  @ApiProperty({ enum: ['identity', 'access', 'generic'], description: 'the mapping the resource feeds' }) resource: string;
  @ApiProperty({ example: '/Users' }) path: string;
  @ApiProperty({ description: 'distinct records read so far' }) read: number;
  @ApiProperty({ type: Number, nullable: true, description: 'records the read should come to; null when neither the server nor an earlier run says' }) expected: number | null;
  @ApiProperty({ type: String, enum: ['totalResults', 'lastRun'], nullable: true, description: "where `expected` comes from: the server's totalResults, or the last complete read of the task" })
  expectedFrom: 'totalResults' | 'lastRun' | null;
  @ApiProperty({ type: Number, nullable: true, description: 'records per second since the read began' }) perSecond: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'seconds left at that rate; 0 when the read is done, null when unknown' }) etaSeconds: number | null;
  @ApiProperty({ description: 'the read of this resource has finished' }) done: boolean;
}

/** How far the load step has come: records written to the target out of those the diff decided to write. */
export class LoadProgressView {
  @ApiProperty() written: number;
  @ApiProperty() total: number;
}

/** A running run's progress (docs/api.md, Runs). */
export class RunProgressView {
  @ApiProperty({ type: [ResourceProgressView] }) resources: ResourceProgressView[];
  @ApiProperty({ type: LoadProgressView, nullable: true, description: 'null until the load step begins' }) load: LoadProgressView | null;
}

/** One step of a run on its timeline. */
export class RunPhaseView {
  @ApiProperty({ example: 'extract' }) phase: string;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null while the step is under way' }) finishedAt: string | null;
}

/** The few fields of a run a list of tasks shows (`lastRun`). */
export class RunSummaryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: RUN_STATUSES }) status: (typeof RUN_STATUSES)[number];
  @ApiProperty({ enum: ['full', 'incremental'] }) mode: string;
  @ApiProperty({ enum: ['schedule', 'manual', 'retry'] }) trigger: string;
  @ApiProperty() dryRun: boolean;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: RunStatsView }) stats: RunStatsView;
}

export class RunView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) taskId: string;
  @ApiProperty() workflowId: string;
  @ApiProperty({ type: String, nullable: true }) temporalRunId: string | null;
  @ApiProperty({ enum: ['full', 'incremental'] }) mode: string;
  @ApiProperty({ enum: ['schedule', 'manual', 'retry'] }) trigger: string;
  @ApiProperty({ description: 'a dry run: its stats and outcomes say what a run would do; nothing in the target was written' }) dryRun: boolean;
  @ApiProperty({ enum: RUN_STATUSES }) status: (typeof RUN_STATUSES)[number];
  @ApiProperty({ type: String, nullable: true, example: 'extract:Users' }) phase: string | null;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: RunStatsView }) stats: RunStatsView;
  @ApiPropertyOptional({ type: RunErrorView }) error?: RunErrorView;
  @ApiPropertyOptional({ format: 'uuid', description: 'the run this one retries' }) retryOf?: string;
  @ApiProperty({ type: [ExtractReportView] }) extractReports: ExtractReportView[];
  @ApiProperty({ type: [String] }) notes: string[];
  @ApiProperty({ type: RunRemovalView, nullable: true }) removal: RunRemovalView | null;
  @ApiProperty({ description: 'the run in the Temporal UI' }) temporalUiUrl: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'when the staging (what the run read) was removed; the run can then be restarted, not resumed' })
  stagingReleasedAt?: string;
  @ApiPropertyOptional({ type: RunProgressView, nullable: true, description: 'GET /runs/:id only: how far a running run has come; null once it has ended' })
  progress?: RunProgressView | null;
  @ApiPropertyOptional({ type: [RunPhaseView], description: 'GET /runs/:id only: the steps the run went through, in order, with their times' })
  phases?: RunPhaseView[];
}

export class RunPageView {
  @ApiProperty({ type: [RunView] }) items: RunView[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page' }) nextCursor: string | null;
}

export class RunRecordView {
  @ApiProperty({ enum: ['identity', 'access', 'generic'] }) kind: string;
  @ApiProperty({ type: String, nullable: true }) sourceId: string | null;
  @ApiProperty({ type: String, nullable: true }) uniqueValue: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) datacardId: string | null;
  @ApiProperty({ enum: ['created', 'updated', 'unchanged', 'removed', 'failed'] }) outcome: string;
  @ApiPropertyOptional({ description: 'why the record failed' }) message?: string;
}

export class RunRecordPageView {
  @ApiProperty({ type: [RunRecordView] }) items: RunRecordView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class RunCancelView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'cancelling' }) status: string;
}
