import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/uuid.pipe';
import { CreateFolderDto, CreateTemplateDto, DatacardQueryDto } from './target-store.dto';
import { TargetStoreService } from './target-store.service';

@ApiTags('target store')
@ApiBearerAuth()
@Controller('api/v1')
export class TargetStoreController {
  constructor(private readonly store: TargetStoreService) {}

  @Post('templates')
  @ApiOperation({ summary: 'Create a template (attribute definitions of a kind of datacard)' })
  createTemplate(@Body() dto: CreateTemplateDto) {
    return this.store.createTemplate(dto);
  }

  @Get('templates')
  listTemplates() {
    return this.store.listTemplates();
  }

  @Get('templates/:code')
  getTemplate(@Param('code') code: string) {
    return this.store.getTemplate(code);
  }

  @Post('folders')
  createFolder(@Body() dto: CreateFolderDto) {
    return this.store.createFolder(dto);
  }

  @Get('folders')
  listFolders() {
    return this.store.listFolders();
  }

  @Get('datacards')
  @ApiOperation({ summary: 'Datacards, filtered and keyset-paged (follow nextCursor)' })
  listDatacards(@Query() q: DatacardQueryDto) {
    return this.store.listDatacards(q);
  }

  @Get('datacards/:id')
  getDatacard(@Param('id', new IdPipe('datacard')) id: string) {
    return this.store.getDatacard(id);
  }
}
