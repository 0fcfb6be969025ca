import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HealthPartView {
  @ApiProperty({ enum: ['up', 'down'] }) status: 'up' | 'down';
  @ApiProperty() latencyMs: number;
  @ApiPropertyOptional() error?: string;
}

export class HealthChecksView {
  @ApiProperty({ type: HealthPartView }) database: HealthPartView;
  @ApiProperty({ type: HealthPartView }) temporal: HealthPartView;
}

export class HealthView {
  @ApiProperty({ enum: ['ok', 'unavailable'] }) status: 'ok' | 'unavailable';
  @ApiPropertyOptional({ type: [String], enum: ['database', 'temporal'] }) failing?: string[];
  @ApiProperty({ type: HealthChecksView }) checks: HealthChecksView;
}
