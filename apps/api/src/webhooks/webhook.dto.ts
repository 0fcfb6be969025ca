import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { RUN_EVENT_TYPES, type RunEventType } from '@app/persistence';
import { IsHttpUrl, IsOptionalNotNull } from '../common/field-validators';

const URL_MESSAGE = 'url must be an http or https URL without credentials, query or fragment';
const EVENTS_MESSAGE = `each of events must be one of ${RUN_EVENT_TYPES.join(', ')}`;

/** A new subscription: where run events of which types (and optionally of which task) go. */
export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/scim-import', description: 'http or https; must pass the deployment\'s outbound address rule (OUTBOUND_ALLOWED_NETWORKS)' })
  @IsString()
  @MaxLength(2048)
  @IsHttpUrl({ message: URL_MESSAGE })
  url: string;

  @ApiProperty({ enum: RUN_EVENT_TYPES, isArray: true, example: ['run.succeeded', 'run.failed'] })
  @IsArray()
  @ArrayMinSize(1, { message: 'events must name at least one event type' })
  @ArrayMaxSize(RUN_EVENT_TYPES.length)
  @ArrayUnique({ message: 'events must not repeat an event type' })
  @IsIn(RUN_EVENT_TYPES, { each: true, message: EVENTS_MESSAGE })
  events: RunEventType[];

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'only runs of this task; omit or null for every task' })
  @ValidateIf((o: CreateWebhookDto) => o.taskId !== undefined && o.taskId !== null)
  @IsUUID('all', { message: 'taskId must be a task id (UUID)' })
  taskId?: string | null;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}

/** A change to a subscription: the fields sent are changed (the secret only through rotate-secret). */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ example: 'https://hooks.example.com/scim-import' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(2048)
  @IsHttpUrl({ message: URL_MESSAGE })
  url?: string;

  @ApiPropertyOptional({ enum: RUN_EVENT_TYPES, isArray: true })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1, { message: 'events must name at least one event type' })
  @ArrayMaxSize(RUN_EVENT_TYPES.length)
  @ArrayUnique({ message: 'events must not repeat an event type' })
  @IsIn(RUN_EVENT_TYPES, { each: true, message: EVENTS_MESSAGE })
  events?: RunEventType[];

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'null: every task' })
  @ValidateIf((o: UpdateWebhookDto) => o.taskId !== undefined && o.taskId !== null)
  @IsUUID('all', { message: 'taskId must be a task id (UUID)' })
  taskId?: string | null;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;
}
