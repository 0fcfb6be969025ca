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
import { HasNoControlCharacters, IsHeaderToken, IsHttpUrl, IsNotBlank, IsOptionalNotNull, IsPemCertificates } from '../common/field-validators';
import { DEFAULT_MAX_RESPONSE_BYTES } from '@app/scim';
import { WORKER_HEAP_MB } from '@app/config';
import { pageLimitForHeap } from '@app/import';

/**
 * Bounds of a connector's maxResponseBytes: a page must fit, and a worker of the documented heap
 * (WORKER_HEAP_MB) must be able to parse and stage it (64 MiB at 384 MB).
 */
export const MIN_MAX_RESPONSE_BYTES = 64 * 1024;
export const MAX_MAX_RESPONSE_BYTES = pageLimitForHeap(WORKER_HEAP_MB * 1024 * 1024);
const MAX_TEXT = `${MAX_MAX_RESPONSE_BYTES / (1024 * 1024)} MiB`;
const MAX_MESSAGE =
  `maxResponseBytes must not be greater than ${MAX_MAX_RESPONSE_BYTES} (${MAX_TEXT}): a worker with the documented ${WORKER_HEAP_MB} MB heap ` +
  `cannot parse and stage a larger page. Lower pageSize instead (docs/operations.md, worker sizing)`;

export const AUTH_TYPES = ['basic', 'bearer', 'oauth2'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** One class for the three auth shapes; which fields are required depends on `type`. */
export class ConnectorAuthDto {
  @ApiProperty({ enum: AUTH_TYPES, example: 'basic' })
  @IsIn(AUTH_TYPES, { message: 'auth.type must be one of basic, bearer, oauth2' })
  type: AuthType;

  @ApiPropertyOptional({ example: 'svc-import', description: 'basic' })
  @ValidateIf((o: ConnectorAuthDto) => o.type === 'basic' || o.username !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  @HasNoControlCharacters({ message: 'auth.username must not contain control characters (CR, LF, …)' })
  @Matches(/^[^:]*$/, { message: 'auth.username must not contain ":" (Basic authentication separates it from the password with one)' })
  username?: string;

  @ApiPropertyOptional({ example: 's3cret', description: 'basic; write-only' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  @HasNoControlCharacters({ message: 'auth.password must not contain control characters (CR, LF, …)' })
  password?: string;

  @ApiPropertyOptional({ description: 'bearer; write-only' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(16384)
  @IsHeaderToken({ message: 'auth.token must be visible ASCII without spaces, CR or LF: it is sent in the Authorization header' })
  token?: string;

  @ApiPropertyOptional({ example: 'https://login.example.com/oauth2/token', description: 'oauth2' })
  @ValidateIf((o: ConnectorAuthDto) => o.type === 'oauth2' || o.tokenUrl !== undefined)
  @IsString()
  @IsHttpUrl({ message: 'auth.tokenUrl must be an http(s) URL without credentials or fragment, with a port 1-65535 if any' })
  @MaxLength(2048)
  tokenUrl?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  @ValidateIf((o: ConnectorAuthDto) => o.type === 'oauth2' || o.clientId !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  @HasNoControlCharacters({ message: 'auth.clientId must not contain control characters (CR, LF, …)' })
  clientId?: string;

  @ApiPropertyOptional({ description: 'oauth2; write-only' })
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(4096)
  @HasNoControlCharacters({ message: 'auth.clientSecret must not contain control characters (CR, LF, …)' })
  clientSecret?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(1024)
  scope?: string;
}

/** Auth in a PATCH: `type` is required, every other field optional (omitted ones keep their stored values). */
export class ConnectorAuthPatchDto extends IntersectionType(
  PickType(ConnectorAuthDto, ['type'] as const),
  // skipNullProperties: false makes the inherited fields optional without letting null through
  PartialType(OmitType(ConnectorAuthDto, ['type'] as const), { skipNullProperties: false }),
) {}

export class ConnectorTlsDto {
  @ApiPropertyOptional({ description: 'PEM of a CA to trust in addition to the system CAs' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(65536)
  @IsPemCertificates({ message: 'tls.caPem must be one or more PEM certificates that parse as X.509' })
  caPem?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNotNull()
  @IsBoolean()
  rejectUnauthorized?: boolean;
}

export class CreateConnectorDto {
  @ApiProperty({ example: 'HR SCIM' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsNotBlank({ message: 'name must not be blank' })
  @HasNoControlCharacters({ message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ example: 'https://scim.example.com:8443/scim/v2' })
  @IsString()
  @IsHttpUrl({ message: 'baseUrl must be an http(s) URL without credentials, query or fragment, with a port 1-65535 if any' })
  @MaxLength(2048)
  baseUrl: string;

  @ApiProperty({ type: ConnectorAuthDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorAuthDto)
  auth: ConnectorAuthDto;

  @ApiPropertyOptional({ example: 500, default: 200 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(10000)
  pageSize?: number;

  @ApiPropertyOptional({ example: 30000, default: 30000 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(100)
  @Max(600000)
  timeoutMs?: number;

  @ApiPropertyOptional({ type: Number, nullable: true, example: 20, description: 'requests per second; omit (or null) for unlimited' })
  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(10000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    example: 33554432,
    default: DEFAULT_MAX_RESPONSE_BYTES,
    description:
      `largest SCIM answer (one page) read, in bytes (64 KiB to ${MAX_TEXT}, what a worker with its documented ${WORKER_HEAP_MB} MB heap can parse and stage; default 32 MiB). A larger page fails the run with ScimResponseTooLargeError: lower pageSize.`,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_MAX_RESPONSE_BYTES)
  @Max(MAX_MAX_RESPONSE_BYTES, { message: MAX_MESSAGE })
  maxResponseBytes?: number | null;

  @ApiPropertyOptional({
    default: true,
    description:
      'list with attributes= naming only id, meta and what the task maps and filters on (RFC 7644 3.4.2.5); false reads whole records. A source that rejects attributes= or answers it with less than the full record gives is read whole anyway, with a run note.',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  attributeProjection?: boolean;

  @ApiPropertyOptional({ type: ConnectorTlsDto })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorTlsDto)
  tls?: ConnectorTlsDto;
}

export class UpdateConnectorDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsNotBlank({ message: 'name must not be blank' })
  @HasNoControlCharacters({ message: 'name must not contain control characters' })
  name?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @IsHttpUrl({ message: 'baseUrl must be an http(s) URL without credentials, query or fragment, with a port 1-65535 if any' })
  @MaxLength(2048)
  baseUrl?: string;

  @ApiPropertyOptional({ type: ConnectorAuthPatchDto, description: 'omit a secret to keep the stored one' })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectorAuthPatchDto)
  auth?: ConnectorAuthPatchDto;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(10000)
  pageSize?: number;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
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

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'largest SCIM answer (one page) in bytes; null restores the default (32 MiB)' })
  @IsOptional()
  @IsInt()
  @Min(MIN_MAX_RESPONSE_BYTES)
  @Max(MAX_MAX_RESPONSE_BYTES, { message: MAX_MESSAGE })
  maxResponseBytes?: number | null;

  @ApiPropertyOptional({ description: 'list with attributes= naming only what the task maps; false reads whole records' })
  @IsOptionalNotNull()
  @IsBoolean()
  attributeProjection?: boolean;

  @ApiPropertyOptional({ type: ConnectorTlsDto })
  @IsOptionalNotNull()
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
  /** bytes; the default (32 MiB) when not set */
  maxResponseBytes: number;
  attributeProjection: boolean;
  tls: { caPem?: string; rejectUnauthorized: boolean };
  createdAt: string;
  updatedAt: string;
}
