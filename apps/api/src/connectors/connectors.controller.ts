import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
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
  create(@Body() dto: CreateConnectorDto) {
    return this.connectors.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'All connectors' })
  @ApiOkResponse({ type: ConnectorListView })
  list() {
    return this.connectors.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: ConnectorView })
  @ApiProblems(404)
  async get(@Param('id', new IdPipe('connector')) id: string) {
    return this.connectors.view(await this.connectors.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a connector; omit a secret to keep it, send it to rotate it' })
  @ApiOkResponse({ type: ConnectorView })
  @ApiProblems(400, 403, 404, [409, 'a connector with this name exists'], [422, 'baseUrl or auth.tokenUrl reaches a loopback, link-local or cloud metadata address that OUTBOUND_ALLOWED_NETWORKS does not allow'])
  update(@Param('id', new IdPipe('connector')) id: string, @Body() dto: UpdateConnectorDto) {
    return this.connectors.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a connector that no task uses' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiProblems(403, 404, [409, 'still used by tasks'])
  async remove(@Param('id', new IdPipe('connector')) id: string): Promise<void> {
    await this.connectors.remove(id);
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
