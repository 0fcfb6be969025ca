import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

export class RetryRunDto {
  @ApiProperty({ enum: ['resume', 'restart'], example: 'resume' })
  @IsIn(['resume', 'restart'], { message: 'strategy must be "resume" or "restart"' })
  strategy: 'resume' | 'restart';
}
