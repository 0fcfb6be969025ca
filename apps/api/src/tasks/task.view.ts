import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RunSummaryView, RunView } from '../runs/run.view';
import { ScheduleAdviceView } from './task-preview.dto';
import { CacheDto, FailureDto, FiltersDto, MAPPINGS_TYPES, MappingDto, SafetyDto, ScheduleDto, TASK_TYPES } from './task.dto';

/** A task as stored: the request fields plus bookkeeping. */
export class TaskView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) connectorId: string;
  @ApiProperty({ example: 'read' }) usage: string;
  @ApiProperty({ enum: TASK_TYPES }) type: (typeof TASK_TYPES)[number];
  @ApiProperty({ enum: MAPPINGS_TYPES }) mappingsType: (typeof MAPPINGS_TYPES)[number];
  @ApiProperty({ type: ScheduleDto, nullable: true, description: 'null: manual runs only' }) schedule: ScheduleDto | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ type: FiltersDto, nullable: true }) filters: FiltersDto | null;
  @ApiProperty({ type: FailureDto }) failure: FailureDto;
  @ApiProperty({ type: MappingDto, nullable: true }) identity: MappingDto | null;
  @ApiProperty({ type: MappingDto, nullable: true }) access: MappingDto | null;
  @ApiProperty({ type: MappingDto, nullable: true }) generic: MappingDto | null;
  @ApiProperty({ type: CacheDto }) cache: CacheDto;
  @ApiProperty({ type: SafetyDto }) safety: SafetyDto;
  @ApiProperty({ description: 'incremented by every update' }) configVersion: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'incremental runs read changes since this' }) watermark: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: [ScheduleAdviceView], description: 'advice on the schedule for the source size and run durations measured; never a refusal' })
  scheduleAdvice: ScheduleAdviceView[];
  @ApiProperty({ type: RunSummaryView, nullable: true, description: 'the newest run of the task; null before its first' }) lastRun: RunSummaryView | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'when the schedule starts the next run; null for manual-only, disabled or paused tasks' })
  nextRunAt: string | null;
}

export class TaskListView {
  @ApiProperty({ type: [TaskView] }) items: TaskView[];
  @ApiProperty() total: number;
}

export class ScheduleStateView {
  @ApiProperty() paused: boolean;
  @ApiProperty({ type: [String], format: 'date-time', description: 'the next few scheduled run times (empty when paused or manual)' }) nextRunTimes: string[];
  @ApiPropertyOptional({ description: 'the Temporal Schedule could not be found or described' }) missing?: boolean;
}

export class TaskDetailView extends TaskView {
  @ApiProperty({ type: ScheduleStateView }) scheduleState: ScheduleStateView;
  @ApiProperty({ type: RunView, nullable: true, description: 'the newest run of the task in full; null before its first' }) override lastRun: RunView | null = null;
}
