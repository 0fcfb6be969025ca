import { Anchor, Button, Group, MultiSelect, Select, Text } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { useConnectors, useRuns, useTasks, type RunsFilter } from '../api/queries';
import { Loading, PageHeader, ProblemAlert } from '../components/common';
import { RunsTable } from '../components/runs-table';
import { inWords } from '../format';

const STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'terminated', 'timedOut'] as const;
const TRIGGERS = ['schedule', 'manual', 'retry'] as const;
const MODES = ['full', 'incremental'] as const;
const options = (values: readonly string[]) => values.map((v) => ({ value: v, label: inWords(v) }));
/** the filters the URL carries, so a filtered view can be linked */
const FILTER_KEYS = ['status', 'trigger', 'mode', 'taskId', 'connectorId', 'dryRun', 'startedAfter', 'startedBefore'] as const;

/** Runs of every task, newest first, filtered and paged by the server; the filters live in the URL. */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const filter: RunsFilter = Object.fromEntries(FILTER_KEYS.flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : [])));
  const setFilter = (key: (typeof FILTER_KEYS)[number], value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const tasks = useTasks();
  const connectors = useConnectors();
  const runs = useRuns(filter);
  const taskNames = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Object.keys(filter).length > 0;
  return (
    <>
      <PageHeader title="Runs" />
      <Group mb="md" align="flex-end" data-testid="run-filters">
        <MultiSelect
          label="Status"
          clearable
          searchable
          placeholder={filter.status ? undefined : 'any'}
          data={options(STATUSES)}
          value={filter.status?.split(',') ?? []}
          onChange={(v) => setFilter('status', v.join(','))}
          w={280}
        />
        <Select
          label="Trigger"
          clearable
          placeholder="any"
          data={options(TRIGGERS)}
          value={filter.trigger ?? null}
          onChange={(v) => setFilter('trigger', v)}
          w={140}
        />
        <Select
          label="Mode"
          clearable
          placeholder="any"
          data={options(MODES)}
          value={filter.mode ?? null}
          onChange={(v) => setFilter('mode', v)}
          w={140}
        />
        <Select
          label="Task"
          clearable
          searchable
          placeholder="any"
          data={(tasks.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }))}
          value={filter.taskId ?? null}
          onChange={(v) => setFilter('taskId', v)}
        />
        <Select
          label="Dry run"
          clearable
          placeholder="any"
          data={[
            { value: 'false', label: 'real runs only' },
            { value: 'true', label: 'dry runs only' },
          ]}
          value={filter.dryRun ?? null}
          onChange={(v) => setFilter('dryRun', v)}
          w={160}
        />
        {filtered && (
          <Button variant="subtle" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Clear filters
          </Button>
        )}
      </Group>
      {filter.connectorId && (
        <Text size="sm" mb="xs">
          Runs of the tasks of connector{' '}
          <Anchor component={Link} to={`/connectors/${filter.connectorId}`}>
            {connectors.data?.items.find((c) => c.id === filter.connectorId)?.name ?? filter.connectorId}
          </Anchor>
        </Text>
      )}
      <ProblemAlert error={runs.error} />
      {runs.isPending ? (
        <Loading />
      ) : (
        <RunsTable runs={items} taskNames={taskNames} empty={filtered ? 'No runs match these filters.' : 'No runs yet.'} />
      )}
      {runs.hasNextPage && (
        <Button variant="default" mt="sm" onClick={() => void runs.fetchNextPage()} loading={runs.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </>
  );
}
