import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiTokenRepository } from '@app/persistence';
import { ProblemException } from '../common/problem';
import { ApiProblems } from '../common/problem.view';
import { describeToken } from './api-tokens';

export class WhoAmIView {
  @ApiProperty({ example: 'reporting' }) name: string;
  @ApiProperty({ enum: ['read', 'admin'], description: '"read" may only use GET routes' }) scope: 'read' | 'admin';
}

/** Who the calling token is, so a client (the console) can hide what its scope may not do. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly tokens: ApiTokenRepository) {}

  @Get('whoami')
  @ApiOperation({ summary: 'Name and scope of the calling token' })
  @ApiOkResponse({ type: WhoAmIView })
  @ApiProblems(401)
  async whoami(@Req() req: Request): Promise<WhoAmIView> {
    // the guard has already accepted the header; this only reads what it found
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const found = token ? await describeToken(this.tokens, token) : undefined;
    if (!found) throw new ProblemException(401, 'unknown or revoked token');
    return found;
  }
}
