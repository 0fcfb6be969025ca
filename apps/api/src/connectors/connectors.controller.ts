import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ConnectorRow } from '@app/persistence';
import { ApiIfMatch } from '../common/etag';
import { ApiProblems } from '../common/problem.view';
import { IdPipe } from '../common/uuid.pipe';
import { CreateConnectorDto, UpdateConnectorDto } from './connector.dto';
import { ConnectorsService } from './connectors.service';
import { AuthenticationTestView, ConnectionTestView, ConnectorListView, ConnectorView } from './connector.view';

@ApiTags('connectors')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('api/v1/connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a connector (secrets are write-only and encrypted at rest)' })
  @ApiCreatedResponse({ type: ConnectorView, description: 'Connector; shows `auth.secretSet` instead of the secret' })
  @ApiProblems(400, 403, [409, 'a connector with this name exists'], [422, 'baseUrl or auth.tokenUrl reaches a loopback, link-local or cloud metadata address that OUTBOUND_ALLOWED_NETWORKS does not allow'])
  async create(@Body() dto: CreateConnectorDto, @Res({ passthrough: true }) res: Response) {
    return this.shown(await this.connectors.create(dto), res);
  }

  @Get()
  @ApiOperation({ summary: 'All connectors' })
  @ApiOkResponse({ type: ConnectorListView })
  list() {
    return this.connectors.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: ConnectorView, headers: { ETag: { description: 'the version; send it as If-Match to change exactly this version' } } })
  @ApiProblems(404)
  async get(@Param('id', new IdPipe('connector')) id: string, @Res({ passthrough: true }) res: Response) {
    return this.shown(await this.connectors.get(id), res);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a connector; omit a secret to keep it, send it to rotate it' })
  @ApiOkResponse({ type: ConnectorView })
  @ApiIfMatch()
  @ApiProblems(400, 403, 404, [409, 'a connector with this name exists'], 412, [422, 'baseUrl or auth.tokenUrl reaches a loopback, link-local or cloud metadata address that OUTBOUND_ALLOWED_NETWORKS does not allow'])
  async update(
    @Param('id', new IdPipe('connector')) id: string,
    @Body() dto: UpdateConnectorDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('if-match') ifMatch?: string,
  ) {
    return this.shown(await this.connectors.update(id, dto, ifMatch), res);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a connector that no task uses' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiIfMatch()
  @ApiProblems(403, 404, [409, 'still used by tasks'], 412)
  async remove(@Param('id', new IdPipe('connector')) id: string, @Headers('if-match') ifMatch?: string): Promise<void> {
    await this.connectors.remove(id, ifMatch);
  }

  /** The connector as shown, its ETag on the answer. */
  private shown(c: ConnectorRow, res: Response): ConnectorView {
    res.setHeader('ETag', this.connectors.etag(c));
    return this.connectors.view(c);
  }

  @Post(':id/test-connection')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reachability and TLS of the SCIM base URL; 502 when unreachable' })
  @ApiOkResponse({ type: ConnectionTestView })
  @ApiProblems(403, 404, [409, 'the stored secret cannot be decrypted with this SECRET_KEY'], [502, 'unreachable; the body also carries `ok: false`, `latencyMs` and `message`'])
  testConnection(@Param('id', new IdPipe('connector')) id: string) {
    return this.connectors.testConnection(id);
  }

  @Post(':id/test-authentication')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Credentials accepted and ServiceProviderConfig readable; reads one record with the paging the server announces (cursor or index). Never returns a secret, even when the server echoes one.',
  })
  @ApiOkResponse({ type: AuthenticationTestView, description: '`ok: false` with a message when the credentials are refused' })
  @ApiProblems(403, 404, [409, 'the stored secret cannot be decrypted with this SECRET_KEY'], [502, 'unreachable'])
  testAuthentication(@Param('id', new IdPipe('connector')) id: string) {
    return this.connectors.testAuthentication(id);
  }
}
