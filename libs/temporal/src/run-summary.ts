/**
 * What the Temporal UI shows for a run before opening its history: a one-line static summary
 * (task name, mode, trigger) and static details (connector, resources), set on the schedule's
 * action and on workflows started directly. Task names and resource paths only: no secrets, no
 * personal data.
 */
export interface RunDescription {
  taskName: string;
  /** the task's type; a run of an incremental task may still read everything (its current details say) */
  mode: 'full' | 'incremental';
  /** `schedule` for runs the task's schedule started, `manual` for run-now, `retry` for restarts */
  trigger: 'schedule' | 'manual' | 'retry';
  connectorId: string;
  /** SCIM resource paths, e.g. /Users, /Groups */
  resources: string[];
}

/** `hr-users · full · schedule` */
export function runStaticSummary(d: RunDescription): string {
  return `${d.taskName} · ${d.mode} · ${d.trigger}`;
}

/** Markdown paragraphs: connector and resources. */
export function runStaticDetails(d: RunDescription): string {
  return [`**Connector:** ${d.connectorId}`, `**Resources:** ${d.resources.join(', ') || '—'}`].join('\n\n');
}

/** SCIM resource paths a task reads, from its mappings type (the generic mapping names its own). */
export function resourcePathsOf(mappingsType: string, genericPath?: string | null): string[] {
  switch (mappingsType) {
    case 'identityAndAccess':
      return ['/Users', '/Groups'];
    case 'identityOnly':
      return ['/Users'];
    case 'accessOnly':
      return ['/Groups'];
    default:
      return genericPath ? [genericPath.startsWith('/') ? genericPath : `/${genericPath}`] : [];
  }
}
