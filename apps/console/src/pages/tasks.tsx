import { Anchor, Badge, Button, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useConnectors, useTasks } from '../api/queries';
import { Loading, PageHeader, ProblemAlert, LastRunCell } from '../components/common';
import { formatTime, inWords, scheduleInWords } from '../format';
import { useSession } from '../session';

/** Every task with its schedule, next run and last run: two requests, however many tasks there are. */
export function TasksPage() {
  const { canWrite } = useSession();
  const tasks = useTasks();
  const connectors = useConnectors();
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
              <Table.Th>Next run (local time)</Table.Th>
              <Table.Th w={110}>State</Table.Th>
              <Table.Th>Last run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tasks.data?.items.map((t) => (
              <Table.Tr key={t.id} data-task-id={t.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/tasks/${t.id}`}>
                    {t.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/connectors/${t.connectorId}`} size="sm">
                    {connectorName.get(t.connectorId) ?? t.connectorId.slice(0, 8)}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  {inWords(t.type)} · {inWords(t.mappingsType)}
                </Table.Td>
                <Table.Td>{scheduleInWords(t.schedule)}</Table.Td>
                <Table.Td>{t.nextRunAt ? <Text size="xs">{formatTime(t.nextRunAt)}</Text> : '—'}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={t.enabled ? 'green' : 'gray'}>
                    {t.enabled ? 'enabled' : 'paused'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <LastRunCell task={t} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
