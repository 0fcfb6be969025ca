import { Module } from '@nestjs/common';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';
import { ScheduleAdviceService } from './schedule-advice.service';
import { TaskPreviewController } from './task-preview.controller';
import { TaskPreviewService } from './task-preview.service';
import { PreviewGate } from './preview-gate';
import { RunsModule } from '../runs/runs.module';

@Module({
  imports: [RunsModule],
  controllers: [TaskPreviewController, TasksController],
  providers: [TasksService, ScheduleAdviceService, TaskPreviewService, PreviewGate],
  exports: [TasksService],
})
export class TasksModule {}
