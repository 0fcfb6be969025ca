import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsNotBlank, IsOptionalNotNull, IsRelativeResourcePath, IsScalar } from '../common/field-validators';

export const TASK_TYPES = ['full', 'incremental'] as const;
export const MAPPINGS_TYPES = ['identityAndAccess', 'identityOnly', 'accessOnly', 'generic'] as const;
export const TRANSFORM_OPS = ['lower', 'upper', 'trim', 'join', 'default'] as const;

export class TransformDto {
  @ApiProperty({ enum: TRANSFORM_OPS })
  @IsIn(TRANSFORM_OPS)
  op: (typeof TRANSFORM_OPS)[number];

  @ApiPropertyOptional({ description: 'join: separator (default ", ")' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(20)
  separator?: string;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], description: 'default: value used when the source value is missing or empty' })
  @IsOptionalNotNull()
  @IsScalar()
  value?: string | number | boolean;
}

export class AttributeMappingDto {
  @ApiPropertyOptional({ example: 'emails[type eq "work"].value', description: 'SCIM attribute path; or use `constant`' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  external?: string;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], description: 'a fixed value instead of `external`' })
  @IsOptionalNotNull()
  @IsScalar()
  constant?: string | number | boolean;

  @ApiProperty({ example: 'email' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  local: string;

  @ApiPropertyOptional({ type: [TransformDto] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TransformDto)
  transforms?: TransformDto[];
}

export class UniqueMappingDto {
  @ApiProperty({ example: 'id' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  external: string;

  @ApiProperty({ example: 'scimId' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  local: string;
}

export class RemovalDto {
  @ApiProperty()
  @IsBoolean()
  enabled: boolean;

  @ApiProperty({ example: 'accountStatus' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  statusAttribute: string;

  @ApiProperty({ example: 'Deleted' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  removedValue: string;

  @ApiPropertyOptional({ example: 'Active', description: 'set when a removed record reappears; omit to keep it removed' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  reactivateValue?: string;
}

export class MembersDto {
  @ApiProperty({ example: 'members' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  local: string;
}

export class MappingDto {
  @ApiProperty({ example: 'account' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  templateCode: string;

  @ApiProperty({ example: 'accounts' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  folderCode: string;

  @ApiProperty({ type: UniqueMappingDto })
  @IsObject()
  @ValidateNested()
  @Type(() => UniqueMappingDto)
  unique: UniqueMappingDto;

  @ApiProperty({ type: [AttributeMappingDto] })
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => AttributeMappingDto)
  attributes: AttributeMappingDto[];

  @ApiPropertyOptional({ type: RemovalDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RemovalDto)
  removal?: RemovalDto | null;

  @ApiPropertyOptional({ type: MembersDto, nullable: true, description: 'access only: reference attribute receiving memberships' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MembersDto)
  members?: MembersDto | null;

  @ApiPropertyOptional({ example: '/Devices', description: 'generic only' })
  @IsOptionalNotNull()
  @IsString()
  @IsRelativeResourcePath({ message: 'resourcePath must be a resource path under the connector base URL, like /Devices (no "." or ".." segments, no scheme, query or encoded characters)' })
  @MaxLength(512)
  resourcePath?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'generic only: SCIM filter' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  filter?: string | null;
}

export class ScheduleDto {
  @ApiPropertyOptional({ example: '0 */4 * * *' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(200)
  cron?: string;

  @ApiPropertyOptional({ example: 'Europe/Helsinki', default: 'UTC' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(100)
  timezone?: string;

  @ApiPropertyOptional({ example: 30 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(525600)
  everyMinutes?: number;
}

export class FiltersDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'active eq true' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  users?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'displayName sw "app-"' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  groups?: string | null;
}

export class FailureDto {
  @ApiProperty({ example: 'failure' }) @IsString() @IsNotEmpty() @MaxLength(100) templateCode: string;
  @ApiProperty({ example: 'failures' }) @IsString() @IsNotEmpty() @MaxLength(100) folderCode: string;
  @ApiProperty({ example: 'message' }) @IsString() @IsNotEmpty() @MaxLength(100) attributeCode: string;
}

export class CacheDto {
  @ApiPropertyOptional({ type: [Number], example: [0], description: 'UTC hours at which the task cache counts as cleared' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(24)
  @IsInt({ each: true })
  @Min(0, { each: true })
  @Max(23, { each: true })
  clearHoursUtc?: number[];
}

export class SafetyDto {
  @ApiPropertyOptional({ example: 20, default: 20 })
  @IsOptionalNotNull()
  @IsNumber()
  @Min(0)
  @Max(100)
  maxRemovalPercent?: number;

  @ApiPropertyOptional({ example: 500 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  maxRemovals?: number;
}

/** Fields shared by create and update. */
export class TaskBodyDto {
  @ApiPropertyOptional({ example: 'read', description: 'only "read" is supported for SCIM connectors' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(50)
  usage?: string;

  @ApiPropertyOptional({ type: ScheduleDto, nullable: true, description: '{cron, timezone?} or {everyMinutes}; null = manual runs only' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ScheduleDto)
  schedule?: ScheduleDto | null;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: FiltersDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FiltersDto)
  filters?: FiltersDto | null;

  @ApiPropertyOptional({ type: FailureDto, nullable: true, description: 'null restores the default (template failure, folder failures, attribute message)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => FailureDto)
  failure?: FailureDto | null;

  @ApiPropertyOptional({ type: MappingDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MappingDto)
  identity?: MappingDto | null;

  @ApiPropertyOptional({ type: MappingDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MappingDto)
  access?: MappingDto | null;

  @ApiPropertyOptional({ type: MappingDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MappingDto)
  generic?: MappingDto | null;

  @ApiPropertyOptional({ type: CacheDto, nullable: true, description: 'null restores the default ({ clearHoursUtc: [0] })' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CacheDto)
  cache?: CacheDto | null;

  @ApiPropertyOptional({ type: SafetyDto, nullable: true, description: 'null restores the default ({ maxRemovalPercent: 20 })' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SafetyDto)
  safety?: SafetyDto | null;
}

export class CreateTaskDto extends TaskBodyDto {
  @ApiProperty({ example: 'hr-accounts-full', description: 'unique and immutable' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  @Matches(/^[^\u0000-\u001f\u007f-\u009f]+$/, { message: 'name must not contain control characters' })
  @IsNotBlank({ message: 'name must not be blank' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'connectorId must be a UUID' })
  connectorId: string;

  @ApiProperty({ enum: TASK_TYPES })
  @IsIn(TASK_TYPES)
  type: (typeof TASK_TYPES)[number];

  @ApiProperty({ enum: MAPPINGS_TYPES })
  @IsIn(MAPPINGS_TYPES)
  mappingsType: (typeof MAPPINGS_TYPES)[number];
}

export class UpdateTaskDto extends TaskBodyDto {
  @ApiPropertyOptional({ description: 'immutable: any value here is rejected with 400' })
  @IsOptional()
  name?: unknown;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID('all', { message: 'connectorId must be a UUID' })
  connectorId?: string;

  @ApiPropertyOptional({ enum: TASK_TYPES })
  @IsOptionalNotNull()
  @IsIn(TASK_TYPES)
  type?: (typeof TASK_TYPES)[number];

  @ApiPropertyOptional({ enum: MAPPINGS_TYPES })
  @IsOptionalNotNull()
  @IsIn(MAPPINGS_TYPES)
  mappingsType?: (typeof MAPPINGS_TYPES)[number];
}

export class RunNowDto {
  @ApiPropertyOptional({ enum: TASK_TYPES, description: 'defaults to the task type' })
  @IsOptionalNotNull()
  @IsIn(TASK_TYPES)
  mode?: (typeof TASK_TYPES)[number];

  @ApiPropertyOptional({
    default: false,
    description: 'a complete run (extract, map, diff, removal candidates with the threshold rule) that stops before load: its stats, removal.candidates and records say what it would do; nothing in the target changes',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  dryRun?: boolean;
}
