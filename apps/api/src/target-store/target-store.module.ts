import { Module } from '@nestjs/common';
import { TargetStoreController } from './target-store.controller';
import { TargetStoreService } from './target-store.service';

@Module({ controllers: [TargetStoreController], providers: [TargetStoreService], exports: [TargetStoreService] })
export class TargetStoreModule {}
