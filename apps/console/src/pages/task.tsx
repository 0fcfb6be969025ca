import { Anchor, Badge, Button, Code, Grid, Group, Menu, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link, useNavigate, useParams } from 'react-router';
import type { Mapping } from '../api/client';
import { useClearTaskCache, useConnector, useDeleteTask, usePauseTask, useRunNow, useTask, useTaskRuns } from '../api/queries';
import { ConfirmButton, Loading, PageHeader, ProblemAlert } from '../components/common';
import { RunHistoryChart } from '../components/run-history-chart';
import { RunsTable } from '../components/runs-table';
import { formatTime, inWords, scheduleInWords } from '../format';
import { useSession } from '../session';

function MappingSummary({ title, mapping }: { title: string; mapping: Mapping }) {
  return (
    <Paper withBorder p="sm">
      <Title order={5}>{title}</Title>
      <Text size="sm">
        template <Code>{mapping.templateCode}</Code> in folder <Code>{mapping.folderCode}</Code>, unique{' '}
        <Code>{mapping.unique.external}</Code> → <Code>{mapping.unique.local}</Code>
        {mapping.resourcePath && (
          <>
            , resource <Code>{mapping.resourcePath}</Code>
          </>
        )}
      </Text>
      <Table mt="xs" aria-label={`${title} attributes`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>External</Table.Th>
            <Table.Th>Local attribute</Table.Th>
            <Table.Th>Transforms</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {mapping.attributes.map((a, i) => (
            <Table.Tr key={i}>
              <Table.Td>
                {a.external !== undefined ? <Code>{a.external}</Code> : <Text size="sm">constant {JSON.stringify(a.constant)}</Text>}
              </Table.Td>
              <Table.Td>
                <Code>{a.local}</Code>
              </Table.Td>
              <Table.Td>
                {a.transforms
                  ?.map(
                    (t) => t.op + (t.separator !== undefined ? `(${t.separator})` : t.value !== undefined ? `(${String(t.value)})` : ''),
                  )
                  .join(' → ') || '—'}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="sm" mt="xs">
        {mapping.members && (
          <>
            Memberships into <Code>{mapping.members.local}</Code>.{' '}
          </>
        )}
        Removal:{' '}
        {mapping.removal?.enabled ? (
          <>
            sets <Code>{mapping.removal.statusAttribute}</Code> to <Code>{mapping.removal.removedValue}</Code>
            {mapping.removal.reactivateValue && (
              <>
                , reactivates with <Code>{mapping.removal.reactivateValue}</Code>
              </>
            )}
          </>
        ) : (
          'off'
        )}
      </Text>
    </Paper>
  );
}

/** runs in the history chart, and per page of the runs table */
const HISTORY_RUNS = 20;

export function TaskPage() {
  const { id } = useParams() as { id: string };
  const navigate = useNavigate();
  const { canWrite } = useSession();
  const task = useTask(id);
  const connector = useConnector(task.data?.connectorId);
  // one page of the newest runs feeds both the history chart and the table
  const runs = useTaskRuns(id, HISTORY_RUNS);
  const runNow = useRunNow(id);
  const startRun = (mode?: 'full' | 'incremental') =>
    runNow.mutate(mode ? { mode } : {}, {
      onSuccess: (run) => {
        notifications.show({ color: 'blue', message: 'Run started' });
        void navigate(`/runs/${run.id}`);
      },
    });
  const pause = usePauseTask(id);
  const clearCache = useClearTaskCache(id);
  const remove = useDeleteTask(id);

  if (task.isPending) return <Loading />;
  if (task.error) return <ProblemAlert error={task.error} />;
  const t = task.data;
  const running = t.lastRun?.status === 'running';
  return (
    <>
      <PageHeader
        title={t.name}
        actions={
          canWrite && (
            <>
              <Group gap={0}>
                <Button onClick={() => startRun()} loading={runNow.isPending} disabled={running}>
                  Run now
                </Button>
                <Menu position="bottom-end">
                  <Menu.Target>
                    <Button variant="light" aria-label="Run with another mode" disabled={running}>
                      ▾
                    </Button>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <Menu.Item onClick={() => startRun('full')}>Run now (full)</Menu.Item>
                    <Menu.Item onClick={() => startRun('incremental')}>Run now (incremental)</Menu.Item>
                  </Menu.Dropdown>
                </Menu>
              </Group>
              <Button variant="default" onClick={() => pause.mutate(t.enabled)} loading={pause.isPending}>
                {t.enabled ? 'Pause' : 'Resume'}
              </Button>
              <Button variant="default" component={Link} to={`/tasks/${id}/edit`}>
                Edit
              </Button>
              <ConfirmButton
                label="Clear cache"
                variant="default"
                color="blue"
                title="Clear the task cache"
                message="The next run writes every record to the target again, even unchanged ones."
                onConfirm={() =>
                  clearCache
                    .mutateAsync()
                    .then(() =>
                      notifications.show({ color: 'green', message: 'Task cache cleared: the next run writes every record again' }),
                    )
                    .catch(() => undefined)
                }
              />
              <ConfirmButton
                label="Delete"
                variant="light"
                color="red"
                title="Delete task"
                message={`Delete task "${t.name}" and its schedule? Its runs and datacards are kept.`}
                onConfirm={() =>
                  remove
                    .mutateAsync()
                    .then(() => navigate('/tasks'))
                    .catch(() => undefined)
                }
              />
            </>
          )
        }
      />
      <ProblemAlert
        error={runNow.error ?? pause.error ?? remove.error ?? clearCache.error}
        onReload={() => void task.refetch().then(() => remove.reset())}
      />
      <Grid>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Paper withBorder p="sm">
            <Table aria-label="Task settings">
              <Table.Tbody>
                <Table.Tr>
                  <Table.Th>Connector</Table.Th>
                  <Table.Td>
                    <Anchor component={Link} to={`/connectors/${t.connectorId}`}>
                      {connector.data?.name ?? t.connectorId}
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Type</Table.Th>
                  <Table.Td>
                    {inWords(t.type)} · {inWords(t.mappingsType)} · usage {t.usage}
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Schedule</Table.Th>
                  <Table.Td>
                    {scheduleInWords(t.schedule)}{' '}
                    <Badge variant="light" color={t.enabled ? 'green' : 'gray'} data-testid="task-state">
                      {t.enabled ? 'enabled' : 'paused'}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Next runs</Table.Th>
                  <Table.Td>
                    {t.scheduleState.nextRunTimes.length
                      ? t.scheduleState.nextRunTimes.slice(0, 3).map((n) => <div key={n}>{formatTime(n)}</div>)
                      : '—'}
                    {t.scheduleState.missing && <Text c="red">the Temporal Schedule is missing</Text>}
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Filters</Table.Th>
                  <Table.Td>
                    users: <Code>{t.filters?.users || 'all'}</Code>
                    <br />
                    groups: <Code>{t.filters?.groups || 'all'}</Code>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Failure record</Table.Th>
                  <Table.Td>
                    <Code>{t.failure.templateCode}</Code> / <Code>{t.failure.folderCode}</Code> / <Code>{t.failure.attributeCode}</Code>
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Cache clears (UTC)</Table.Th>
                  <Table.Td>{(t.cache.clearHoursUtc ?? [0]).map((h) => `${h}:00`).join(', ')}</Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Safety</Table.Th>
                  <Table.Td>
                    at most {t.safety.maxRemovalPercent ?? 20} % removals per mapping
                    {t.safety.maxRemovals !== undefined && `, ${t.safety.maxRemovals} in all`} without approval
                  </Table.Td>
                </Table.Tr>
                <Table.Tr>
                  <Table.Th>Watermark</Table.Th>
                  <Table.Td>{formatTime(t.watermark)}</Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            {t.identity && <MappingSummary title="Identity (users)" mapping={t.identity} />}
            {t.access && <MappingSummary title="Access (groups)" mapping={t.access} />}
            {t.generic && <MappingSummary title="Generic" mapping={t.generic} />}
          </Stack>
        </Grid.Col>
      </Grid>
      <Title order={3} mt="lg" mb="xs">
        Runs
      </Title>
      <ProblemAlert error={runs.error} />
      {runs.data && <RunHistoryChart runs={runs.data.pages[0]?.items ?? []} />}
      {runs.data && (
        <Stack mt="md">
          <RunsTable runs={runs.data.pages.flatMap((p) => p.items)} />
        </Stack>
      )}
      {runs.hasNextPage && (
        <Button variant="default" mt="sm" onClick={() => void runs.fetchNextPage()} loading={runs.isFetchingNextPage}>
          Older runs
        </Button>
      )}
    </>
  );
}
