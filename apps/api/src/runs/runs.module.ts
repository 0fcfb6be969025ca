import { Module } from '@nestjs/common';
import { RunsController } from './runs.controller';
import { RemovalCandidatesController } from './removal-candidates.controller';
import { RunsService } from './runs.service';
import { RunActionsService } from './runs-actions.service';
import { RunHousekeepingService } from './run-housekeeping.service';
import { RunStarter } from './run-starter';

@Module({
  controllers: [RunsController, RemovalCandidatesController],
  providers: [RunsService, RunActionsService, RunHousekeepingService, RunStarter],
  exports: [RunsService, RunActionsService, RunHousekeepingService, RunStarter],
})
export class RunsModule {}
