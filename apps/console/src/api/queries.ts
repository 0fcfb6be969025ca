/**
 * The console's data layer: every request a page makes goes through a hook of this module.
 * One key factory names every cached answer, so a mutation invalidates exactly what it changed;
 * one polling policy refetches an answer only while it shows something running.
 */
import { useEffect, useRef } from 'react';
import {
  useInfiniteQuery,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from '@tanstack/react-query';
import {
  api,
  call,
  etagOf,
  type Connector,
  type CreateConnectorBody,
  type CreateTaskBody,
  type Run,
  type Schemas,
  type TaskDetail,
  type CreateWebhookBody,
  type Webhook,
  type WebhookDelivery,
  type WebhookWithSecret,
} from './client';

/** How often an answer that shows a running run is read again. */
export const POLL_MS = 2_000;

/** Filters of GET /api/v1/runs, as strings (they come from, and go to, the URL). */
export interface RunsFilter {
  taskId?: string;
  connectorId?: string;
  /** one status or several, comma-separated */
  status?: string;
  trigger?: string;
  mode?: string;
  dryRun?: 'true' | 'false';
  startedAfter?: string;
  startedBefore?: string;
}

export interface DatacardsFilter {
  template?: string;
  folder?: string;
  status?: string;
  taskId?: string;
  q?: string;
}

export type RecordOutcome = 'all' | 'failed' | 'created' | 'updated' | 'unchanged' | 'removed';

/** Every cached answer's key. Each resource's keys share its first element, so `x.all` invalidates all of x. */
export const queryKeys = {
  connectors: {
    all: ['connectors'] as const,
    list: () => ['connectors', 'list'] as const,
    detail: (id: string) => ['connectors', 'detail', id] as const,
  },
  tasks: {
    all: ['tasks'] as const,
    list: () => ['tasks', 'list'] as const,
    detail: (id: string) => ['tasks', 'detail', id] as const,
  },
  runs: {
    all: ['runs'] as const,
    list: (filter: RunsFilter, limit: number) => ['runs', 'list', filter, limit] as const,
    ofTask: (taskId: string, limit: number) => ['runs', 'of-task', taskId, limit] as const,
    detail: (id: string) => ['runs', 'detail', id] as const,
    records: (id: string, outcome: RecordOutcome) => ['runs', 'records', id, outcome] as const,
    removalCandidates: (id: string) => ['runs', 'removal-candidates', id] as const,
  },
  datacards: {
    all: ['datacards'] as const,
    list: (filter: DatacardsFilter) => ['datacards', 'list', filter] as const,
    detail: (id: string) => ['datacards', 'detail', id] as const,
  },
  templates: {
    all: ['templates'] as const,
    list: () => ['templates', 'list'] as const,
    detail: (code: string) => ['templates', 'detail', code] as const,
  },
  folders: {
    all: ['folders'] as const,
    list: () => ['folders', 'list'] as const,
  },
  webhooks: {
    all: ['webhooks'] as const,
    list: () => ['webhooks', 'list'] as const,
    detail: (id: string) => ['webhooks', 'detail', id] as const,
    /** every page size of one subscription's deliveries */
    deliveriesOf: (id: string) => ['webhooks', 'deliveries', id] as const,
    deliveries: (id: string, limit: number) => ['webhooks', 'deliveries', id, limit] as const,
  },
};

// ---- the polling policy ----

const isRunning = (run: { status: string } | null | undefined): boolean => run?.status === 'running';
/** A delivery not yet settled: its next attempt is due (the webhook's "running"). */
const isUnderWay = (delivery: WebhookDelivery): boolean => delivery.status === 'pending' || delivery.status === 'retrying';

/** The one polling policy: every POLL_MS while something shown is running, otherwise never. */
export function pollWhile(running: boolean): number | false {
  return running ? POLL_MS : false;
}

/** The policy applied to a query's own answer. */
function pollWhileAnswer<T>(running: (data: T) => boolean) {
  return (query: { state: { data: T | undefined } }) => pollWhile(query.state.data !== undefined && running(query.state.data));
}

type Page<T> = { items: T[]; nextCursor: string | null };
const pagesHold = <T>(data: InfiniteData<Page<T>>, running: (item: T) => boolean) => data.pages.some((p) => p.items.some(running));

/**
 * A run seen running a moment ago has ended: what it wrote (records, removals, the run lists, the
 * task's last run, datacards) is read again once. The run itself is not: its own answer said so.
 */
function invalidateAfterRun(client: QueryClient, runId: string): void {
  const detail = queryKeys.runs.detail(runId);
  void client.invalidateQueries({
    queryKey: queryKeys.runs.all,
    predicate: (q) => !(q.queryKey.length === detail.length && q.queryKey.every((k, i) => k === detail[i])),
  });
  void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
  void client.invalidateQueries({ queryKey: queryKeys.datacards.all });
}

const cursorPaging = {
  initialPageParam: undefined as string | undefined,
  getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
};

/** If-Match for a change of the version read as `etag` (none: the change applies to whatever is there). */
const ifMatch = (etag: string | undefined) => (etag ? { 'If-Match': etag } : {});

// ---- session ----

/** Who the stored token belongs to (signing in checks the token with it). */
export function whoami() {
  return call(api.GET('/api/v1/auth/whoami'));
}

// ---- connectors ----

export function useConnectors() {
  return useQuery({ queryKey: queryKeys.connectors.list(), queryFn: () => call(api.GET('/api/v1/connectors')) });
}

export function useConnector(id: string | undefined) {
  return useQuery({
    queryKey: queryKeys.connectors.detail(id ?? ''),
    queryFn: () => call(api.GET('/api/v1/connectors/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
  });
}

/** Saves the connector form; an edit sends the ETag of the version the form was filled from (`etag`). */
export function useSaveConnector(id: string | undefined) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ body, etag }: { body: CreateConnectorBody; etag?: string }) =>
      id
        ? // an emptied rate limit means unlimited: PATCH says so with null (omitting it would keep the old one)
          call(
            api.PATCH('/api/v1/connectors/{id}', {
              params: { path: { id }, header: ifMatch(etag) },
              body: { ...body, rateLimitPerSecond: body.rateLimitPerSecond ?? null },
            }),
          )
        : call(api.POST('/api/v1/connectors', { body })),
    onSuccess: (c: Connector) => {
      client.setQueryData(queryKeys.connectors.detail(c.id), c);
      void client.invalidateQueries({ queryKey: queryKeys.connectors.list() });
    },
  });
}

export function useDeleteConnector(id: string) {
  const client = useQueryClient();
  return useMutation({
    // deletes the version on screen: changed meanwhile, it is a 412 to reload
    mutationFn: () =>
      call(api.DELETE('/api/v1/connectors/{id}', { params: { path: { id }, header: ifMatch(etagOf(`/api/v1/connectors/${id}`)) } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: queryKeys.connectors.detail(id) });
      void client.invalidateQueries({ queryKey: queryKeys.connectors.list() });
    },
  });
}

export function useTestConnection(id: string) {
  return useMutation({ mutationFn: () => call(api.POST('/api/v1/connectors/{id}/test-connection', { params: { path: { id } } })) });
}

export function useTestAuthentication(id: string) {
  return useMutation({ mutationFn: () => call(api.POST('/api/v1/connectors/{id}/test-authentication', { params: { path: { id } } })) });
}

// ---- templates and folders ----

export function useTemplates() {
  return useQuery({ queryKey: queryKeys.templates.list(), queryFn: () => call(api.GET('/api/v1/templates')) });
}

export function useTemplate(code: string | undefined) {
  return useQuery({
    queryKey: queryKeys.templates.detail(code ?? ''),
    queryFn: () => call(api.GET('/api/v1/templates/{code}', { params: { path: { code: code! } } })),
    enabled: !!code,
  });
}

export function useFolders() {
  return useQuery({ queryKey: queryKeys.folders.list(), queryFn: () => call(api.GET('/api/v1/folders')) });
}

// ---- tasks ----

/** Every task with its last run and next run time: one request, polled while one of them runs. */
export function useTasks() {
  return useQuery({
    queryKey: queryKeys.tasks.list(),
    queryFn: () => call(api.GET('/api/v1/tasks')),
    refetchInterval: pollWhileAnswer((data: Schemas['TaskListView']) => data.items.some((t) => isRunning(t.lastRun))),
  });
}

export function useTask(id: string | undefined) {
  return useQuery({
    queryKey: queryKeys.tasks.detail(id ?? ''),
    queryFn: () => call(api.GET('/api/v1/tasks/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
    refetchInterval: pollWhileAnswer((t: TaskDetail) => isRunning(t.lastRun)),
  });
}

/** A task's runs, newest first, paged with the cursor. */
export function useTaskRuns(taskId: string, limit = 20) {
  return useInfiniteQuery({
    queryKey: queryKeys.runs.ofTask(taskId, limit),
    ...cursorPaging,
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/tasks/{id}/runs', {
          params: { path: { id: taskId }, query: { limit: String(limit), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    refetchInterval: pollWhileAnswer((data: InfiniteData<Page<Run>>) => pagesHold(data, isRunning)),
  });
}

/** Saves the task form; an edit sends the ETag of the version the form was filled from (`etag`). */
export function useSaveTask(id: string | undefined) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ body, etag }: { body: CreateTaskBody; etag?: string }) => {
      if (!id) return call(api.POST('/api/v1/tasks', { body }));
      const { name: _immutable, ...patch } = body;
      return call(api.PATCH('/api/v1/tasks/{id}', { params: { path: { id }, header: ifMatch(etag) }, body: patch }));
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.tasks.all }),
  });
}

export function useRunNow(taskId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (options: { mode?: 'full' | 'incremental'; dryRun?: boolean }) =>
      call(api.POST('/api/v1/tasks/{id}/runs', { params: { path: { id: taskId } }, body: options })),
    onSuccess: (run) => {
      client.setQueryData(queryKeys.runs.detail(run.id), run);
      void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
      void client.invalidateQueries({ queryKey: queryKeys.runs.all });
    },
  });
}

export function usePauseTask(taskId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (pause: boolean) =>
      pause
        ? call(api.POST('/api/v1/tasks/{id}/pause', { params: { path: { id: taskId } } }))
        : call(api.POST('/api/v1/tasks/{id}/resume', { params: { path: { id: taskId } } })),
    onSuccess: (t) => {
      client.setQueryData(queryKeys.tasks.detail(taskId), t);
      void client.invalidateQueries({ queryKey: queryKeys.tasks.list() });
    },
  });
}

export function useClearTaskCache(taskId: string) {
  return useMutation({ mutationFn: () => call(api.POST('/api/v1/tasks/{id}/cache/clear', { params: { path: { id: taskId } } })) });
}

export function useDeleteTask(taskId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      call(api.DELETE('/api/v1/tasks/{id}', { params: { path: { id: taskId }, header: ifMatch(etagOf(`/api/v1/tasks/${taskId}`)) } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: queryKeys.tasks.detail(taskId) });
      void client.invalidateQueries({ queryKey: queryKeys.tasks.list() });
    },
  });
}

// ---- runs ----

/** Runs of every task, newest first, filtered and paged by the server (GET /api/v1/runs). */
export function useRuns(filter: RunsFilter, limit = 50) {
  const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== ''));
  return useInfiniteQuery({
    queryKey: queryKeys.runs.list(query, limit),
    ...cursorPaging,
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/runs', {
          params: { query: { ...query, limit: String(limit), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    refetchInterval: pollWhileAnswer((data: InfiniteData<Page<Run>>) => pagesHold(data, isRunning)),
  });
}

/** One run with its progress and phases; polled while it runs, and what it wrote is read again when it ends. */
export function useRun(id: string) {
  const client = useQueryClient();
  const run = useQuery({
    queryKey: queryKeys.runs.detail(id),
    queryFn: () => call(api.GET('/api/v1/runs/{id}', { params: { path: { id } } })),
    refetchInterval: pollWhileAnswer((r: Run) => isRunning(r)),
  });
  const status = run.data?.status;
  const seenRunning = useRef(false);
  useEffect(() => {
    if (status === 'running') seenRunning.current = true;
    else if (status && seenRunning.current) {
      seenRunning.current = false;
      invalidateAfterRun(client, id);
    }
  }, [client, id, status]);
  return run;
}

/** What a run did to each record, by outcome; polled while the run (`live`) is running. */
export function useRunRecords(runId: string, outcome: RecordOutcome, live: boolean) {
  return useInfiniteQuery({
    queryKey: queryKeys.runs.records(runId, outcome),
    ...cursorPaging,
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/runs/{id}/records', {
          params: {
            path: { id: runId },
            query: { limit: '100', ...(outcome !== 'all' ? { outcome } : {}), ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    refetchInterval: pollWhile(live),
  });
}

/** The records a run would mark removed (up to 1000), with each card's summary (login, email or name). */
export function useRemovalCandidates(runId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.runs.removalCandidates(runId),
    queryFn: () => call(api.GET('/api/v1/runs/{id}/removal-candidates', { params: { path: { id: runId }, query: { limit: '1000' } } })),
    enabled,
  });
}

export function useDecideRemovals(runId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (approve: boolean) =>
      approve
        ? call(api.POST('/api/v1/runs/{id}/approve-removals', { params: { path: { id: runId } } }))
        : call(api.POST('/api/v1/runs/{id}/reject-removals', { params: { path: { id: runId } } })),
    onSuccess: (run) => {
      client.setQueryData(queryKeys.runs.detail(runId), run);
      void client.invalidateQueries({ queryKey: queryKeys.runs.all });
    },
  });
}

export function useRetryRun(runId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (strategy: 'resume' | 'restart') =>
      call(api.POST('/api/v1/runs/{id}/retry', { params: { path: { id: runId } }, body: { strategy } })),
    onSuccess: (run) => {
      client.setQueryData(queryKeys.runs.detail(run.id), run);
      void client.invalidateQueries({ queryKey: queryKeys.runs.all });
      void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
    },
  });
}

export function useCancelRun(runId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id: runId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.runs.detail(runId) }),
  });
}

// ---- datacards ----

export function useDatacards(filter: DatacardsFilter, limit = 50) {
  const query = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== ''));
  return useInfiniteQuery({
    queryKey: queryKeys.datacards.list(query),
    ...cursorPaging,
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/v1/datacards', { params: { query: { ...query, limit, ...(pageParam ? { cursor: pageParam } : {}) } } })),
  });
}

export function useDatacard(id: string) {
  return useQuery({
    queryKey: queryKeys.datacards.detail(id),
    queryFn: () => call(api.GET('/api/v1/datacards/{id}', { params: { path: { id } } })),
  });
}

/**
 * The datacards a card references (its memberships), to show them by name. The API has no lookup
 * of several ids at once, so each is read (and cached) on its own, at most `max` of them.
 */
export function useReferencedDatacards(ids: string[], max: number) {
  return useQueries({
    queries: ids.slice(0, max).map((id) => ({
      queryKey: queryKeys.datacards.detail(id),
      queryFn: () => call(api.GET('/api/v1/datacards/{id}', { params: { path: { id } } })),
    })),
  });
}

// ---- webhooks ----

/** A subscription as it may be cached and shown again: without the secret its create or rotate answer carried. */
const withoutSecret = ({ secret: _shownOnce, ...webhook }: WebhookWithSecret): Webhook => webhook;

export function useWebhooks() {
  return useQuery({ queryKey: queryKeys.webhooks.list(), queryFn: () => call(api.GET('/api/v1/webhooks')) });
}

export function useWebhook(id: string | undefined) {
  return useQuery({
    queryKey: queryKeys.webhooks.detail(id ?? ''),
    queryFn: () => call(api.GET('/api/v1/webhooks/{id}', { params: { path: { id: id! } } })),
    enabled: !!id,
  });
}

/**
 * Creates a subscription (the answer holds its secret, for the page to show once; the cache keeps
 * it without) or changes one: PATCH of its URL, event types and task filter.
 */
export function useSaveWebhook(id: string | undefined) {
  const client = useQueryClient();
  return useMutation({
    // the answer holds the secret: forgotten as soon as the page that shows it is left
    gcTime: 0,
    mutationFn: (body: CreateWebhookBody): Promise<Webhook | WebhookWithSecret> =>
      id
        ? call(
            api.PATCH('/api/v1/webhooks/{id}', {
              params: { path: { id } },
              body: { url: body.url, events: body.events, taskId: body.taskId ?? null },
            }),
          )
        : call(api.POST('/api/v1/webhooks', { body })),
    onSuccess: (w) => {
      client.setQueryData(queryKeys.webhooks.detail(w.id), 'secret' in w ? withoutSecret(w) : w);
      void client.invalidateQueries({ queryKey: queryKeys.webhooks.list() });
    },
  });
}

/** Turns a subscription's deliveries on or off (a disabled one is sent no new events). */
export function useEnableWebhook(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (enabled: boolean) => call(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id } }, body: { enabled } })),
    onSuccess: (w) => {
      client.setQueryData(queryKeys.webhooks.detail(id), w);
      void client.invalidateQueries({ queryKey: queryKeys.webhooks.list() });
    },
  });
}

/** Replaces the signing secret; the answer holds the new one, for the page to show once. */
export function useRotateWebhookSecret(id: string) {
  const client = useQueryClient();
  return useMutation({
    gcTime: 0,
    mutationFn: () => call(api.POST('/api/v1/webhooks/{id}/rotate-secret', { params: { path: { id } } })),
    onSuccess: (w) => client.setQueryData(queryKeys.webhooks.detail(id), withoutSecret(w)),
  });
}

export function useDeleteWebhook(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: queryKeys.webhooks.detail(id) });
      client.removeQueries({ queryKey: queryKeys.webhooks.deliveriesOf(id) });
      void client.invalidateQueries({ queryKey: queryKeys.webhooks.list() });
    },
  });
}

/** A subscription's deliveries, newest first, paged with the cursor; polled while one of them is pending or retrying. */
export function useWebhookDeliveries(id: string, limit = 20) {
  return useInfiniteQuery({
    queryKey: queryKeys.webhooks.deliveries(id, limit),
    ...cursorPaging,
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/webhooks/{id}/deliveries', {
          params: { path: { id }, query: { limit: String(limit), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    refetchInterval: pollWhileAnswer((data: InfiniteData<Page<WebhookDelivery>>) => pagesHold(data, isUnderWay)),
  });
}

/** Sends a delivery's event again, as a new delivery at the top of the list (which is then polled while it is under way). */
export function useRedeliver(webhookId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      call(api.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: webhookId, deliveryId } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['webhooks', 'deliveries', webhookId] }),
  });
}
