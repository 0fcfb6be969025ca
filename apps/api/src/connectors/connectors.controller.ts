import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/uuid.pipe';
import { CreateConnectorDto, UpdateConnectorDto } from './connector.dto';
import { ConnectorsService } from './connectors.service';

@ApiTags('connectors')
@ApiBearerAuth()
@Controller('api/v1/connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a connector (secrets are write-only and encrypted at rest)' })
  @ApiResponse({ status: 201, description: 'Connector; shows `auth.secretSet` instead of the secret' })
  create(@Body() dto: CreateConnectorDto) {
    return this.connectors.create(dto);
  }

  @Get()
  list() {
    return this.connectors.list();
  }

  @Get(':id')
  async get(@Param('id', new IdPipe('connector')) id: string) {
    return this.connectors.view(await this.connectors.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a connector; omit a secret to keep it, send it to rotate it' })
  update(@Param('id', new IdPipe('connector')) id: string, @Body() dto: UpdateConnectorDto) {
    return this.connectors.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiResponse({ status: 409, description: 'still used by tasks' })
  async remove(@Param('id', new IdPipe('connector')) id: string): Promise<void> {
    await this.connectors.remove(id);
  }

  @Post(':id/test-connection')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reachability and TLS of the SCIM base URL; 502 when unreachable' })
  testConnection(@Param('id', new IdPipe('connector')) id: string) {
    return this.connectors.testConnection(id);
  }

  @Post(':id/test-authentication')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Credentials accepted and ServiceProviderConfig readable; reads one record with the paging the server announces (cursor or index). Never returns a secret, even when the server echoes one.',
  })
  testAuthentication(@Param('id', new IdPipe('connector')) id: string) {
    return this.connectors.testAuthentication(id);
  }
}
