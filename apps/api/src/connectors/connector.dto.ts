import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

export const AUTH_TYPES = ['basic', 'bearer', 'oauth2'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** One class for the three auth shapes; which fields are required depends on `type`. */
export class ConnectorAuthDto {
  @ApiProperty({ enum: AUTH_TYPES, example: 'basic' })
  @IsIn(AUTH_TYPES as unknown as string[], { message: 'auth.type must be one of basic, bearer, oauth2' })
  type: AuthType;

  @ApiPropertyOptional({ example: 'svc-import', description: 'basic' })
  @ValidateIf((o: ConnectorAuthDto) => o.type === 'basic' || o.username !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({ example: 's3cret', description: 'basic; write-only' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  password?: string;

  @ApiPropertyOptional({ description: 'bearer; write-only' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(16384)
  token?: string;

  @ApiPropertyOptional({ example: 'https://login.example.com/oauth2/token', description: 'oauth2' })
  @ValidateIf((o: ConnectorAuthDto) => o.type === 'oauth2' || o.tokenUrl !== undefined)
  @IsString()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'auth.tokenUrl must be an http(s) URL' })
  tokenUrl?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  @ValidateIf((o: ConnectorAuthDto) => o.type === 'oauth2' || o.clientId !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  clientId?: string;

  @ApiPropertyOptional({ description: 'oauth2; write-only' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  clientSecret?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scope?: string;
}

/** Auth in a PATCH: `type` is required, every other field optional (omitted ones keep their stored values). */
export class ConnectorAuthPatchDto extends IntersectionType(PickType(ConnectorAuthDto, ['type'] as const), PartialType(OmitType(ConnectorAuthDto, ['type'] as const))) {}

export class ConnectorTlsDto {
  @ApiPropertyOptional({ description: 'PEM of a CA to trust in addition to the system CAs' })
  @IsOptional()
  @IsString()
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'tls.caPem must be a PEM certificate' })
  @MaxLength(65536)
  caPem?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  rejectUnauthorized?: boolean;
}

const URL_PATTERN = /^https?:\/\/[^\s/@?#]+(:\d{1,5})?(\/[^\s?#]*)?$/;

export class CreateConnectorDto {
  @ApiProperty({ example: 'HR SCIM' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'https://scim.example.com:8443/scim/v2' })
  @IsString()
  @Matches(URL_PATTERN, { message: 'baseUrl must be an http(s) URL without credentials, query or fragment' })
  @MaxLength(2048)
  baseUrl: string;

  @ApiProperty({ type: ConnectorAuthDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorAuthDto)
  auth: ConnectorAuthDto;

  @ApiPropertyOptional({ example: 500, default: 200 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  pageSize?: number;

  @ApiPropertyOptional({ example: 30000, default: 30000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600000)
  timeoutMs?: number;

  @ApiPropertyOptional({ example: 20, description: 'requests per second; omit for unlimited' })
  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(10000)
  rateLimitPerSecond?: number;

  @ApiPropertyOptional({ type: ConnectorTlsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorTlsDto)
  tls?: ConnectorTlsDto;
}

export class UpdateConnectorDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(URL_PATTERN, { message: 'baseUrl must be an http(s) URL without credentials, query or fragment' })
  @MaxLength(2048)
  baseUrl?: string;

  @ApiPropertyOptional({ type: ConnectorAuthPatchDto, description: 'omit a secret to keep the stored one' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorAuthPatchDto)
  auth?: ConnectorAuthPatchDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  pageSize?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600000)
  timeoutMs?: number;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'requests per second; null for unlimited' })
  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(10000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ type: ConnectorTlsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorTlsDto)
  tls?: ConnectorTlsDto;
}

/** Connector as the API shows it: never a secret, only `secretSet`. */
export interface ConnectorView {
  id: string;
  name: string;
  baseUrl: string;
  auth: { type: AuthType; username?: string; clientId?: string; tokenUrl?: string; scope?: string; secretSet: boolean };
  pageSize: number;
  timeoutMs: number;
  rateLimitPerSecond: number | null;
  tls: { caPem?: string; rejectUnauthorized: boolean };
  createdAt: string;
  updatedAt: string;
}
