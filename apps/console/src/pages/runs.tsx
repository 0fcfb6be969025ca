import { useState } from 'react';
import { Group, Select, Text } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { Loading, PageHeader, ProblemAlert } from '../components/common';
import { RunsTable } from '../components/runs-table';

const PER_TASK = 25;

/** Runs across tasks, newest first: the newest runs of every task, merged. */
export function RunsPage() {
  const [status, setStatus] = useState<string | null>(null);
  const [taskId, setTaskId] = useState<string | null>(null);
  const tasks = useQuery({ queryKey: ['tasks'], queryFn: () => call(api.GET('/api/v1/tasks')) });
  const perTask = useQueries({
    queries: (tasks.data?.items ?? []).map((t) => ({
      queryKey: ['task-runs-recent', t.id],
      queryFn: () => call(api.GET('/api/v1/tasks/{id}/runs', { params: { path: { id: t.id }, query: { limit: String(PER_TASK) } } })),
      refetchInterval: 5000,
    })),
  });
  const taskNames = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  const runs = perTask
    .flatMap((q) => q.data?.items ?? [])
    .filter(
      (r) =>
        (!status || r.status === status || (status === 'awaitingApproval' && r.removal?.state === 'awaitingApproval')) &&
        (!taskId || r.taskId === taskId),
    )
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const error = tasks.error ?? perTask.find((q) => q.error)?.error;
  return (
    <>
      <PageHeader title="Runs" />
      <Group mb="md">
        <Select
          label="Status"
          clearable
          placeholder="any"
          data={[
            'running',
            'succeeded',
            'failed',
            'cancelled',
            'terminated',
            'timedOut',
            { value: 'awaitingApproval', label: 'removals awaiting approval' },
          ]}
          value={status}
          onChange={setStatus}
        />
        <Select
          label="Task"
          clearable
          searchable
          placeholder="any"
          data={(tasks.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }))}
          value={taskId}
          onChange={setTaskId}
        />
      </Group>
      <ProblemAlert error={error} />
      {tasks.isPending || perTask.some((q) => q.isPending) ? <Loading /> : <RunsTable runs={runs} taskNames={taskNames} />}
      <Text size="xs" c="dimmed" mt="sm">
        Shows the newest {PER_TASK} runs of each task; a task&apos;s page pages through all of its runs.
      </Text>
    </>
  );
}
