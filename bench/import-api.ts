/**
 * The few REST calls the scenarios make (docs/api.md): connector, task, template and folder, run
 * now, run status, cancel.
 * Scenarios go through the API like any integrating system, never around it.
 */

import type { RunStatsView } from '../libs/temporal/src/contracts';

/** The run counts of GET /runs/:id: the workflow contract's own type. */
export type RunStats = RunStatsView;

export interface RunView {
  id: string;
  taskId: string;
  mode: 'full' | 'incremental';
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  phase?: string | null;
  startedAt: string;
  finishedAt: string | null;
  stats: RunStats;
  error?: { type: string; message: string };
  notes?: string[];
  extractReports?: unknown[];
  removal?: unknown;
  temporalUiUrl?: string;
}

/** When the run entered each phase, as seen by polling (ms after the run-now request). */
export interface PhaseMark {
  phase: string;
  atMs: number;
}

export class ImportApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 1000)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async createConnector(body: Record<string, unknown>): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/api/v1/connectors', body)).id;
  }

  async createTask(body: Record<string, unknown>): Promise<string> {
    return (await this.call<{ id: string }>('POST', '/api/v1/tasks', body)).id;
  }

  async createTemplate(body: Record<string, unknown>): Promise<void> {
    await this.call('POST', '/api/v1/templates', body);
  }

  async createFolder(body: Record<string, unknown>): Promise<void> {
    await this.call('POST', '/api/v1/folders', body);
  }

  async cancelRun(id: string): Promise<void> {
    await this.call('POST', `/api/v1/runs/${id}/cancel`);
  }

  async patchTask(id: string, body: Record<string, unknown>): Promise<void> {
    await this.call('PATCH', `/api/v1/tasks/${id}`, body);
  }

  runNow(taskId: string, mode?: 'full' | 'incremental', opts: { dryRun?: boolean } = {}): Promise<RunView> {
    return this.call<RunView>('POST', `/api/v1/tasks/${taskId}/runs`, { ...(mode ? { mode } : {}), ...(opts.dryRun ? { dryRun: true } : {}) });
  }

  getRun(id: string): Promise<RunView> {
    return this.call<RunView>('GET', `/api/v1/runs/${id}`);
  }

  /**
   * Polls the run until it is no longer running or the time is up, noting each phase change.
   * Rejects when `abort` (e.g. the worker died) rejects first.
   */
  async waitForRun(
    id: string,
    opts: { since: number; timeoutMs: number; intervalMs: number; abort: Promise<never>; onPhase?: (phase: string, run: RunView) => void },
  ): Promise<{ run: RunView; phases: PhaseMark[]; timedOut: boolean }> {
    const phases: PhaseMark[] = [];
    const deadline = Date.now() + opts.timeoutMs;
    const poll = async (): Promise<{ run: RunView; phases: PhaseMark[]; timedOut: boolean }> => {
      for (;;) {
        const run = await this.getRun(id);
        const phase = run.phase ?? run.status;
        if (phases[phases.length - 1]?.phase !== phase) {
          phases.push({ phase, atMs: performance.now() - opts.since });
          opts.onPhase?.(phase, run);
        }
        // a run still going at the deadline is reported as it stands (phases, memory so far)
        if (run.status !== 'running' || Date.now() > deadline) return { run, phases, timedOut: run.status === 'running' };
        await new Promise((r) => setTimeout(r, opts.intervalMs));
      }
    };
    return Promise.race([poll(), opts.abort]);
  }
}
