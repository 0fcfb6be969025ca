import { Module } from '@nestjs/common';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';
import { RunsModule } from '../runs/runs.module';

@Module({ imports: [RunsModule], controllers: [TasksController], providers: [TasksService], exports: [TasksService] })
export class TasksModule {}
