import { Anchor, Badge, Button, Group, Table, Text } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, call, type TaskDetail } from '../api/client';
import { Loading, PageHeader, ProblemAlert, StatusBadge } from '../components/common';
import { formatTime, runDuration, scheduleInWords } from '../format';
import { useSession } from '../session';

export function TasksPage() {
  const { canWrite } = useSession();
  const tasks = useQuery({ queryKey: ['tasks'], queryFn: () => call(api.GET('/api/v1/tasks')) });
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => call(api.GET('/api/v1/connectors')) });
  // the list has no schedule state or last run: each task's detail carries them
  const details = useQueries({
    queries: (tasks.data?.items ?? []).map((t) => ({
      queryKey: ['task', t.id],
      queryFn: () => call(api.GET('/api/v1/tasks/{id}', { params: { path: { id: t.id } } })),
      refetchInterval: (q: { state: { data?: TaskDetail } }) => (q.state.data?.lastRun?.status === 'running' ? 2000 : 15000),
    })),
  });
  const connectorName = new Map((connectors.data?.items ?? []).map((c) => [c.id, c.name]));
  return (
    <>
      <PageHeader
        title="Tasks"
        actions={
          canWrite && (
            <Button component={Link} to="/tasks/new">
              New task
            </Button>
          )
        }
      />
      <ProblemAlert error={tasks.error} />
      {tasks.isPending ? (
        <Loading />
      ) : tasks.data?.items.length === 0 ? (
        <Text c="dimmed">No tasks yet.</Text>
      ) : (
        <Table striped highlightOnHover aria-label="Tasks">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Connector</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Next runs (local time)</Table.Th>
              <Table.Th w={110}>State</Table.Th>
              <Table.Th>Last run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tasks.data?.items.map((t, i) => {
              const d = details[i]?.data;
              return (
                <Table.Tr key={t.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/tasks/${t.id}`}>
                      {t.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{connectorName.get(t.connectorId) ?? t.connectorId.slice(0, 8)}</Table.Td>
                  <Table.Td>
                    {t.type} · {t.mappingsType}
                  </Table.Td>
                  <Table.Td>{scheduleInWords(t.schedule)}</Table.Td>
                  <Table.Td>
                    {d?.scheduleState.nextRunTimes.slice(0, 2).map((n) => (
                      <Text key={n} size="xs">
                        {formatTime(n)}
                      </Text>
                    )) ?? '…'}
                    {d && d.scheduleState.nextRunTimes.length === 0 && '—'}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={t.enabled ? 'green' : 'gray'}>
                      {t.enabled ? 'enabled' : 'paused'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {d?.lastRun ? (
                      <Group gap={6}>
                        <Anchor component={Link} to={`/runs/${d.lastRun.id}`} aria-label={`Last run of ${t.name}`}>
                          <StatusBadge status={d.lastRun.status} />
                        </Anchor>
                        <Text size="xs">{runDuration(d.lastRun)}</Text>
                      </Group>
                    ) : d ? (
                      'never'
                    ) : (
                      '…'
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
