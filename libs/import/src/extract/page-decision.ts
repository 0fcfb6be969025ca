import { clearBoundary } from '@app/mapping';
import type { PageDecisionContext } from '@app/persistence';
import { reactivationOf, type MappingSectionConfig, type TaskConfig } from '../run-config/task-config';

/**
 * What extract decides each page's mapped records against as it stages them (create / update /
 * unchanged, in the page's transaction: StagingRepository.stagePage with PAGE_DECISION): the
 * resource's template, the task's cache entries pushed since the latest clear boundary before
 * `now`, and whether a removed datacard that reappears is pushed again. An unchanged record is
 * final there; diff decides the records the map step mapped, and decides again only when a clear
 * boundary passed since the run started.
 */
export function pageDecisionContext(taskId: string, config: TaskConfig, section: MappingSectionConfig, now = new Date()): PageDecisionContext {
  return {
    templateCode: section.templateCode,
    taskId,
    pushedSince: clearBoundary(now, config.cache?.clearHoursUtc ?? [0]),
    reactivates: reactivationOf(section) !== undefined,
  };
}
