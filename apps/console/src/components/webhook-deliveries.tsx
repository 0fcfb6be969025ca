import { Fragment, useState } from 'react';
import { ActionIcon, Anchor, Badge, Button, Group, Paper, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link } from 'react-router';
import type { WebhookAttempt, WebhookDelivery } from '../api/client';
import { useRedeliver, useWebhookDeliveries } from '../api/queries';
import { eventTypeInWords, formatDuration, formatTime } from '../format';
import { useSession } from '../session';
import { Loading, ProblemAlert, StatusBadge } from './common';

const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/** What the receiver answered an attempt: its HTTP status, or why no answer came. */
function answerOf(attempt: WebhookAttempt | undefined): string {
  if (!attempt) return '—';
  if (attempt.statusCode !== null) return `HTTP ${attempt.statusCode}`;
  return attempt.error ?? 'no answer';
}

function Attempts({ delivery }: { delivery: WebhookDelivery }) {
  if (delivery.attempts.length === 0) return <Text size="sm">Not tried yet.</Text>;
  return (
    <Table aria-label="Attempts" withTableBorder data-testid="attempts">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Attempt</Table.Th>
          <Table.Th>At</Table.Th>
          <Table.Th>Answer</Table.Th>
          <Table.Th>Took</Table.Th>
          <Table.Th>Next retry</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {delivery.attempts.map((a) => (
          <Table.Tr key={a.attempt} data-attempt={a.attempt} data-status-code={a.statusCode ?? ''}>
            <Table.Td>{a.attempt}</Table.Td>
            <Table.Td style={NO_WRAP}>{formatTime(a.at)}</Table.Td>
            <Table.Td>{answerOf(a)}</Table.Td>
            <Table.Td style={NO_WRAP}>{formatDuration(a.durationMs)}</Table.Td>
            <Table.Td style={NO_WRAP}>{formatTime(a.nextRetryAt)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/**
 * A subscription's deliveries, newest first (cursor "Load more"), each expandable to its attempts,
 * with Redeliver; read again every 2 s while one is pending or retrying.
 */
export function WebhookDeliveries({ webhookId }: { webhookId: string }) {
  const { canWrite } = useSession();
  const deliveries = useWebhookDeliveries(webhookId);
  const redeliver = useRedeliver(webhookId);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const items = deliveries.data?.pages.flatMap((p) => p.items) ?? [];
  const columns = canWrite ? 9 : 8;
  return (
    <Paper withBorder p="md" mt="lg" data-testid="deliveries">
      <Group justify="space-between" mb="xs">
        <Title order={4}>Deliveries</Title>
        {/* new events are not polled for (only deliveries under way are): this reads the list now */}
        <Button
          size="xs"
          variant="default"
          onClick={() => void deliveries.refetch()}
          loading={deliveries.isRefetching && !deliveries.isFetchingNextPage}
        >
          Refresh
        </Button>
      </Group>
      <ProblemAlert error={deliveries.error ?? redeliver.error} />
      {deliveries.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text c="dimmed" size="sm">
          No deliveries yet: the first event of a run this webhook listens to appears here.
        </Text>
      ) : (
        <Table aria-label="Deliveries" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={36} />
              <Table.Th>Event</Table.Th>
              <Table.Th>Run</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Last answer</Table.Th>
              <Table.Th>Next retry</Table.Th>
              <Table.Th>Created</Table.Th>
              {canWrite && <Table.Th />}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((d) => {
              const expanded = open.has(d.id);
              return (
                <Fragment key={d.id}>
                  <Table.Tr data-delivery-id={d.id} data-event-id={d.eventId} data-event-type={d.eventType}>
                    <Table.Td>
                      <ActionIcon
                        variant="subtle"
                        aria-label={expanded ? 'Hide attempts' : 'Show attempts'}
                        aria-expanded={expanded}
                        onClick={() => toggle(d.id)}
                      >
                        {expanded ? '▾' : '▸'}
                      </ActionIcon>
                    </Table.Td>
                    <Table.Td>
                      {eventTypeInWords(d.eventType)}
                      {d.redeliveryOf && (
                        <Badge size="xs" variant="outline" ml={6}>
                          redelivery
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Anchor component={Link} to={`/runs/${d.runId}`} ff="monospace" size="sm">
                        {d.runId.slice(0, 8)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <StatusBadge status={d.status} testId="delivery-status" />
                    </Table.Td>
                    <Table.Td data-testid="delivery-attempts">{d.attempts.length}</Table.Td>
                    <Table.Td data-testid="delivery-answer">{answerOf(d.attempts.at(-1))}</Table.Td>
                    <Table.Td style={NO_WRAP}>{formatTime(d.nextRetryAt)}</Table.Td>
                    <Table.Td style={NO_WRAP}>{formatTime(d.createdAt)}</Table.Td>
                    {canWrite && (
                      <Table.Td>
                        <Button
                          size="xs"
                          variant="light"
                          loading={redeliver.isPending && redeliver.variables === d.id}
                          onClick={() =>
                            redeliver.mutate(d.id, {
                              onSuccess: () =>
                                notifications.show({ color: 'blue', message: `${eventTypeInWords(d.eventType)}: sent again` }),
                            })
                          }
                        >
                          Redeliver
                        </Button>
                      </Table.Td>
                    )}
                  </Table.Tr>
                  {expanded && (
                    <Table.Tr>
                      <Table.Td colSpan={columns}>
                        <Attempts delivery={d} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {deliveries.hasNextPage && (
        <Group mt="sm">
          <Button variant="default" onClick={() => void deliveries.fetchNextPage()} loading={deliveries.isFetchingNextPage}>
            Load more
          </Button>
        </Group>
      )}
    </Paper>
  );
}
