import { ApiProperty } from '@nestjs/swagger';
import { TemplateAttributeDto } from './target-store.dto';

export class TemplateView {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: [TemplateAttributeDto] }) attributes: TemplateAttributeDto[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class TemplateListView {
  @ApiProperty({ type: [TemplateView] }) items: TemplateView[];
  @ApiProperty() total: number;
}

export class FolderView {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty() templateCode: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class FolderListView {
  @ApiProperty({ type: [FolderView] }) items: FolderView[];
  @ApiProperty() total: number;
}

export class DatacardView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() templateCode: string;
  @ApiProperty() folderCode: string;
  @ApiProperty() uniqueValue: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'attribute code → value; reference attributes (memberships) are arrays of datacard ids',
  })
  attributes: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the task that last wrote it' }) taskId: string | null;
  @ApiProperty({ example: 'active' }) status: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class DatacardPageView {
  @ApiProperty({ type: [DatacardView] }) items: DatacardView[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page' }) nextCursor: string | null;
}
