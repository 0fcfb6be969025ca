import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptionalNotNull } from '../common/field-validators';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
const CODE_MESSAGE = 'must start with a letter and contain only letters, digits, "_", "." or "-" (max 100)';
export const ATTRIBUTE_TYPES = ['string', 'number', 'boolean', 'datetime', 'reference'] as const;

export class TemplateAttributeDto {
  @ApiProperty({ example: 'login' })
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;

  @ApiProperty({ example: 'Login' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ enum: ATTRIBUTE_TYPES })
  @IsIn(ATTRIBUTE_TYPES as unknown as string[])
  type: (typeof ATTRIBUTE_TYPES)[number];

  @ApiPropertyOptional({ default: false })
  @IsOptionalNotNull()
  @IsBoolean()
  multiple?: boolean;
}

export class CreateTemplateDto {
  @ApiProperty({ example: 'account' })
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;

  @ApiProperty({ example: 'Account' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ type: [TemplateAttributeDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => TemplateAttributeDto)
  attributes: TemplateAttributeDto[];
}

export class CreateFolderDto {
  @ApiProperty({ example: 'accounts' })
  @IsString()
  @Matches(CODE, { message: `code ${CODE_MESSAGE}` })
  code: string;

  @ApiProperty({ example: 'Accounts' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'account' })
  @IsString()
  @IsNotEmpty()
  templateCode: string;
}

export class DatacardQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) template?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) folder?: string;
  @ApiPropertyOptional({ example: 'active' }) @IsOptional() @IsString() @MaxLength(100) status?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() taskId?: string;
  @ApiPropertyOptional({ description: 'text search in the unique value and attributes' }) @IsOptional() @IsString() @MaxLength(200) q?: string;
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) cursor?: string;
}
