import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AUTH_TYPES, type AuthType } from './connector.dto';

/** Auth as shown: identifiers only; the secret is never returned, `secretSet` says whether one is stored. */
export class ConnectorAuthView {
  @ApiProperty({ enum: AUTH_TYPES })
  type: AuthType;

  @ApiPropertyOptional({ description: 'basic' })
  username?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  clientId?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  tokenUrl?: string;

  @ApiPropertyOptional({ description: 'oauth2' })
  scope?: string;

  @ApiProperty({ description: 'a secret (password, token or client secret) is stored' })
  secretSet: boolean;
}

export class ConnectorTlsView {
  @ApiPropertyOptional()
  caPem?: string;

  @ApiProperty()
  rejectUnauthorized: boolean;
}

export class ConnectorView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() baseUrl: string;
  @ApiProperty({ type: ConnectorAuthView }) auth: ConnectorAuthView;
  @ApiProperty() pageSize: number;
  @ApiProperty() timeoutMs: number;
  @ApiProperty({ type: Number, nullable: true }) rateLimitPerSecond: number | null;
  @ApiProperty({ description: 'largest SCIM answer (one page) read, in bytes; the default (32 MiB) when not set' }) maxResponseBytes: number;
  @ApiProperty({ description: 'listings ask only for the attributes a task maps (attributes=); false reads whole records' }) attributeProjection: boolean;
  @ApiProperty({ type: ConnectorTlsView }) tls: ConnectorTlsView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class ConnectorListView {
  @ApiProperty({ type: [ConnectorView] }) items: ConnectorView[];
  @ApiProperty() total: number;
}

export class ConnectionTestView {
  @ApiProperty() ok: boolean;
  @ApiProperty() latencyMs: number;
  @ApiProperty() message: string;
}

/** The ServiceProviderConfig as understood by the SCIM client. */
export class ServiceProviderView {
  @ApiProperty() filter: boolean;
  @ApiProperty() sort: boolean;
  @ApiProperty() etag: boolean;
  @ApiProperty() patch: boolean;
  @ApiPropertyOptional({ description: 'a filtered listing may stop at this many results' }) maxResults?: number;
  @ApiProperty() cursorPagination: boolean;
  @ApiProperty() indexPagination: boolean;
  @ApiPropertyOptional() maxPageSize?: number;
  @ApiPropertyOptional() defaultPageSize?: number;
  @ApiPropertyOptional({ enum: ['index', 'cursor'] }) defaultPaginationMethod?: 'index' | 'cursor';
  @ApiPropertyOptional() cursorTimeoutSeconds?: number;
}

export class AuthenticationTestView {
  @ApiProperty() ok: boolean;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: ServiceProviderView }) serviceProvider?: ServiceProviderView;
}
