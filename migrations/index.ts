import { InitialSchema1764201600000 } from './1764201600000-InitialSchema';
import { ImportRunCheckpoints1764288000000 } from './1764288000000-ImportRunCheckpoints';
import { RemovalReconciliation1764374400000 } from './1764374400000-RemovalReconciliation';
import { StagingMappedAtExtract1764460800000 } from './1764460800000-StagingMappedAtExtract';
import { LinkTargetWithoutForeignKey1764547200000 } from './1764547200000-LinkTargetWithoutForeignKey';
import { DryRunRuns1764633600000 } from './1764633600000-DryRunRuns';
import { RunStateFromTemporal1764637200000 } from './1764637200000-RunStateFromTemporal';
import { ConnectorMaxResponseBytes1764640800000 } from './1764640800000-ConnectorMaxResponseBytes';
import { StagingMarker1764651000000 } from './1764651000000-StagingMarker';
import { DropPendingTrigger1764662400000 } from './1764662400000-DropPendingTrigger';
import { WritePathOnlyChanges1764748800000 } from './1764748800000-WritePathOnlyChanges';
import { ActivityAttempts1764835200000 } from './1764835200000-ActivityAttempts';
import { ConnectorAttributeProjection1764921600000 } from './1764921600000-ConnectorAttributeProjection';
import { StagingPartitionPerRun1765008000000 } from './1765008000000-StagingPartitionPerRun';
import { TaskCacheInSighting1765094400000 } from './1765094400000-TaskCacheInSighting';
import { StagingLoadBatches1765094400001 } from './1765094400001-StagingLoadBatches';
import { RunProgress1765180800000 } from './1765180800000-RunProgress';
import { RunListIndex1765180800100 } from './1765180800100-RunListIndex';
import { IdempotentRequests1765180800200 } from './1765180800200-IdempotentRequests';
import { ConnectorVersion1765180800201 } from './1765180800201-ConnectorVersion';
import { WebhookDeliveries1765180800300 } from './1765180800300-WebhookDeliveries';

/** Every migration in order; listed explicitly so ts-jest, tsx and compiled dist all agree. */
export const MIGRATIONS = [
  InitialSchema1764201600000,
  ImportRunCheckpoints1764288000000,
  RemovalReconciliation1764374400000,
  StagingMappedAtExtract1764460800000,
  LinkTargetWithoutForeignKey1764547200000,
  DryRunRuns1764633600000,
  RunStateFromTemporal1764637200000,
  ConnectorMaxResponseBytes1764640800000,
  StagingMarker1764651000000,
  DropPendingTrigger1764662400000,
  WritePathOnlyChanges1764748800000,
  ActivityAttempts1764835200000,
  ConnectorAttributeProjection1764921600000,
  StagingPartitionPerRun1765008000000,
  TaskCacheInSighting1765094400000,
  StagingLoadBatches1765094400001,
  RunProgress1765180800000,
  RunListIndex1765180800100,
  IdempotentRequests1765180800200,
  ConnectorVersion1765180800201,
  WebhookDeliveries1765180800300,
];
