import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { contentEtag } from '../common/etag';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/problem.view';
import { DatacardPageView, DatacardView, FolderListView, FolderView, TemplateListView, TemplateView } from './target-store.view';
import { IdPipe } from '../common/uuid.pipe';
import { CreateFolderDto, CreateTemplateDto, DatacardQueryDto } from './target-store.dto';
import { TargetStoreService } from './target-store.service';

@ApiTags('target store')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('api/v1')
export class TargetStoreController {
  constructor(private readonly store: TargetStoreService) {}

  @Post('templates')
  @ApiOperation({ summary: 'Create a template (attribute definitions of a kind of datacard)' })
  @ApiCreatedResponse({ type: TemplateView })
  @ApiProblems(400, 403, [409, 'a template with this code exists'])
  createTemplate(@Body() dto: CreateTemplateDto) {
    return this.store.createTemplate(dto);
  }

  @Get('templates')
  @ApiOperation({ summary: 'All templates' })
  @ApiOkResponse({ type: TemplateListView })
  listTemplates() {
    return this.store.listTemplates();
  }

  @Get('templates/:code')
  @ApiOkResponse({ type: TemplateView, headers: { ETag: { description: 'a digest of the template (templates are created, never changed)' } } })
  @ApiProblems(404)
  async getTemplate(@Param('code') code: string, @Res({ passthrough: true }) res: Response) {
    const template = await this.store.getTemplate(code);
    res.setHeader('ETag', contentEtag('template', template));
    return template;
  }

  @Post('folders')
  @ApiOperation({ summary: 'Create a folder for datacards of one template' })
  @ApiCreatedResponse({ type: FolderView })
  @ApiProblems(400, 403, [409, 'a folder with this code exists'], [422, 'unknown template'])
  createFolder(@Body() dto: CreateFolderDto) {
    return this.store.createFolder(dto);
  }

  @Get('folders')
  @ApiOperation({ summary: 'All folders' })
  @ApiOkResponse({ type: FolderListView })
  listFolders() {
    return this.store.listFolders();
  }

  @Get('datacards')
  @ApiOperation({ summary: 'Datacards, filtered and keyset-paged (follow nextCursor)' })
  @ApiOkResponse({ type: DatacardPageView })
  @ApiProblems(400)
  listDatacards(@Query() q: DatacardQueryDto) {
    return this.store.listDatacards(q);
  }

  @Get('datacards/:id')
  @ApiOkResponse({ type: DatacardView })
  @ApiProblems(404)
  getDatacard(@Param('id', new IdPipe('datacard')) id: string) {
    return this.store.getDatacard(id);
  }
}
