import { Module } from '@nestjs/common';
import { RunsController } from './runs.controller';
import { RemovalCandidatesController } from './removal-candidates.controller';
import { RunsService } from './runs.service';
import { RunActionsService } from './runs-actions.service';
import { RunHousekeepingService } from './run-housekeeping.service';

@Module({
  controllers: [RunsController, RemovalCandidatesController],
  providers: [RunsService, RunActionsService, RunHousekeepingService],
  exports: [RunsService, RunActionsService, RunHousekeepingService],
})
export class RunsModule {}
