import { Anchor, Badge, Button, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useTasks, useWebhooks } from '../api/queries';
import { Loading, PageHeader, ProblemAlert } from '../components/common';
import { eventTypeInWords } from '../format';
import { useSession } from '../session';

/** Every webhook subscription: where run events go, which ones, for which task. */
export function WebhooksPage() {
  const { canWrite } = useSession();
  const webhooks = useWebhooks();
  const tasks = useTasks();
  const taskNames = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  return (
    <>
      <PageHeader
        title="Webhooks"
        actions={
          canWrite && (
            <Button component={Link} to="/webhooks/new">
              New webhook
            </Button>
          )
        }
      />
      <Text size="sm" c="dimmed" mb="md">
        Run events (started, succeeded, failed, …) are POSTed to each URL, signed per Standard Webhooks and retried for a day.
      </Text>
      <ProblemAlert error={webhooks.error ?? tasks.error} />
      {webhooks.isPending ? (
        <Loading />
      ) : webhooks.data?.items.length === 0 ? (
        <Text c="dimmed">No webhooks yet.{canWrite && ' Create one to have run events pushed to another system.'}</Text>
      ) : (
        <Table striped highlightOnHover aria-label="Webhooks">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>URL</Table.Th>
              <Table.Th>Events</Table.Th>
              <Table.Th>Task</Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {webhooks.data?.items.map((w) => (
              <Table.Tr key={w.id} data-webhook-id={w.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/webhooks/${w.id}`} style={{ wordBreak: 'break-all' }}>
                    {w.url}
                  </Anchor>
                </Table.Td>
                <Table.Td>{w.events.map(eventTypeInWords).join(', ')}</Table.Td>
                <Table.Td>
                  {w.taskId ? (
                    <Anchor component={Link} to={`/tasks/${w.taskId}`}>
                      {taskNames.get(w.taskId) ?? w.taskId}
                    </Anchor>
                  ) : (
                    'every task'
                  )}
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={w.enabled ? 'green' : 'gray'} data-testid="webhook-state">
                    {w.enabled ? 'enabled' : 'disabled'}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
