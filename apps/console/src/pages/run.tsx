import { useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Group,
  List,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, call, type Run } from '../api/client';
import { ConfirmButton, Loading, PageHeader, ProblemAlert, StatusBadge } from '../components/common';
import { formatTime, runDuration } from '../format';
import { useSession } from '../session';

const STAT_KEYS = ['fetched', 'created', 'updated', 'unchanged', 'removed', 'failed'] as const;
const OUTCOMES = ['all', 'failed', 'created', 'updated', 'unchanged', 'removed'] as const;

function Stats({ run }: { run: Run }) {
  return (
    <SimpleGrid cols={6} spacing="xs" aria-label="Counts">
      {STAT_KEYS.map((k) => (
        <Paper key={k} withBorder p="xs" ta="center">
          <Text size="xs" c="dimmed" tt="uppercase">
            {k}
          </Text>
          <Text size="xl" fw={700} data-testid={`stat-${k}`} c={k === 'failed' && run.stats[k] > 0 ? 'red' : undefined}>
            {run.stats[k]}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}

function RemovalPanel({ run }: { run: Run }) {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const removal = run.removal;
  const awaiting = run.status === 'running' && removal?.state === 'awaitingApproval';
  const candidates = useQuery({
    queryKey: ['removal-candidates', run.id],
    queryFn: () => call(api.GET('/api/v1/runs/{id}/removal-candidates', { params: { path: { id: run.id }, query: { limit: '1000' } } })),
    enabled: awaiting || removal?.state === 'applying',
  });
  const decide = useMutation({
    mutationFn: (approve: boolean) =>
      approve
        ? call(api.POST('/api/v1/runs/{id}/approve-removals', { params: { path: { id: run.id } } }))
        : call(api.POST('/api/v1/runs/{id}/reject-removals', { params: { path: { id: run.id } } })),
    onSuccess: (r, approve) => {
      queryClient.setQueryData(['run', run.id], r);
      notifications.show({ color: approve ? 'green' : 'gray', message: approve ? 'Removals approved' : 'Removals rejected' });
    },
  });
  if (!removal) return null;
  return (
    <Paper withBorder p="md" data-testid="removal">
      <Group justify="space-between">
        <Title order={4}>Removals</Title>
        <Badge color={awaiting ? 'yellow' : removal.state === 'applied' ? 'green' : 'gray'} data-testid="removal-state">
          {removal.state}
        </Badge>
      </Group>
      {removal.reason && <Text size="sm">{removal.reason}</Text>}
      <Table mt="xs" aria-label="Removal summary">
        <Table.Tbody>
          {removal.candidates && (
            <Table.Tr>
              <Table.Th>Candidates</Table.Th>
              <Table.Td>
                {removal.candidates.identity} identity, {removal.candidates.access} access, {removal.candidates.generic} generic (total{' '}
                {removal.total ?? 0})
              </Table.Td>
            </Table.Tr>
          )}
          {removal.threshold && (
            <Table.Tr>
              <Table.Th>Threshold</Table.Th>
              <Table.Td>
                {removal.threshold.maxRemovalPercent} % of active per mapping
                {removal.threshold.maxRemovals !== undefined && `, ${removal.threshold.maxRemovals} in all`} (active:{' '}
                {removal.threshold.active.identity} identity, {removal.threshold.active.access} access, {removal.threshold.active.generic}{' '}
                generic) — {removal.threshold.exceeded ? 'exceeded' : 'within'}
              </Table.Td>
            </Table.Tr>
          )}
          {removal.decisionDeadline && (
            <Table.Tr>
              <Table.Th>Decide before</Table.Th>
              <Table.Td>{formatTime(removal.decisionDeadline)} (then nothing is removed)</Table.Td>
            </Table.Tr>
          )}
          {removal.decision && (
            <Table.Tr>
              <Table.Th>Decision</Table.Th>
              <Table.Td>
                {removal.decision} {removal.decidedAt && `at ${formatTime(removal.decidedAt)}`}
              </Table.Td>
            </Table.Tr>
          )}
          {removal.removed !== undefined && (
            <Table.Tr>
              <Table.Th>Removed</Table.Th>
              <Table.Td>{removal.removed}</Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      {awaiting && (
        <Stack mt="md">
          <Alert color="yellow" title="Removals wait for a decision">
            Approving marks exactly the records listed below removed; rejecting finishes the run without removing anything.
          </Alert>
          <ProblemAlert error={candidates.error ?? decide.error} />
          {candidates.data && (
            <Table striped aria-label="Removal candidates" data-testid="candidates">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Unique value</Table.Th>
                  <Table.Th>Template / folder</Table.Th>
                  <Table.Th>Status now</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {[...candidates.data.items]
                  .sort((x, y) => x.kind.localeCompare(y.kind) || x.uniqueValue.localeCompare(y.uniqueValue))
                  .map((c) => (
                    <Table.Tr key={c.datacardId}>
                      <Table.Td>{c.kind}</Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/datacards/${c.datacardId}`} data-testid="candidate">
                          {c.uniqueValue}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        {c.templateCode} / {c.folderCode}
                      </Table.Td>
                      <Table.Td>{c.status}</Table.Td>
                    </Table.Tr>
                  ))}
              </Table.Tbody>
            </Table>
          )}
          {candidates.data?.nextCursor && <Text size="sm">Only the first 1000 candidates are listed.</Text>}
          {canWrite && (
            <Group>
              <ConfirmButton
                label="Approve removals"
                color="orange"
                title="Approve removals"
                message={`Mark these ${removal.total ?? ''} records removed?`}
                onConfirm={() => decide.mutateAsync(true).catch(() => undefined)}
              />
              <ConfirmButton
                label="Reject removals"
                variant="default"
                color="gray"
                title="Reject removals"
                message="Finish the run without removing anything?"
                onConfirm={() => decide.mutateAsync(false).catch(() => undefined)}
              />
            </Group>
          )}
        </Stack>
      )}
    </Paper>
  );
}

function Records({ runId, status }: { runId: string; status: string }) {
  const live = status === 'running';
  const [outcome, setOutcome] = useState<(typeof OUTCOMES)[number]>('all');
  const records = useInfiniteQuery({
    // the status is part of the key: the outcomes are read again when the run ends
    queryKey: ['run-records', runId, outcome, status],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call(
        api.GET('/api/v1/runs/{id}/records', {
          params: {
            path: { id: runId },
            query: { limit: '100', ...(outcome !== 'all' ? { outcome } : {}), ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: live ? 3000 : false,
  });
  const items = records.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Paper withBorder p="md" data-testid="records-section">
      <Group justify="space-between" mb="xs">
        <Title order={4}>Records</Title>
        <SegmentedControl
          aria-label="Outcome filter"
          size="xs"
          value={outcome}
          onChange={(v) => setOutcome(v)}
          data={[...OUTCOMES]}
        />
      </Group>
      <ProblemAlert error={records.error} />
      {records.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text c="dimmed" size="sm">
          No records{outcome !== 'all' ? ` with outcome ${outcome}` : ''}.
          {outcome === 'unchanged' ? ' Unchanged records write nothing: they are counted in the stats above, not listed.' : ''}
        </Text>
      ) : (
        <Table striped aria-label="Record outcomes" data-testid="records">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Source id</Table.Th>
              <Table.Th>Unique value</Table.Th>
              <Table.Th>Outcome</Table.Th>
              <Table.Th>Message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((r, i) => (
              <Table.Tr key={`${r.sourceId}-${i}`}>
                <Table.Td>{r.kind}</Table.Td>
                <Table.Td>
                  <Code>{r.sourceId ?? '—'}</Code>
                </Table.Td>
                <Table.Td>
                  {r.datacardId ? (
                    <Anchor component={Link} to={`/datacards/${r.datacardId}`}>
                      {r.uniqueValue ?? r.datacardId}
                    </Anchor>
                  ) : (
                    (r.uniqueValue ?? '—')
                  )}
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={r.outcome} />
                </Table.Td>
                <Table.Td>{r.message ?? ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {records.hasNextPage && (
        <Button variant="default" mt="sm" onClick={() => void records.fetchNextPage()} loading={records.isFetchingNextPage}>
          More records
        </Button>
      )}
    </Paper>
  );
}

export function RunPage() {
  const { id } = useParams() as { id: string };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { canWrite } = useSession();
  const run = useQuery({
    queryKey: ['run', id],
    queryFn: () => call(api.GET('/api/v1/runs/{id}', { params: { path: { id } } })),
    // live phase and counts while it runs
    refetchInterval: (q) => (q.state.data?.status === 'running' ? 1000 : false),
  });
  const task = useQuery({
    queryKey: ['task', run.data?.taskId],
    queryFn: () => call(api.GET('/api/v1/tasks/{id}', { params: { path: { id: run.data!.taskId } } })),
    enabled: !!run.data,
    retry: false,
  });
  const retry = useMutation({
    mutationFn: (strategy: 'resume' | 'restart') =>
      call(api.POST('/api/v1/runs/{id}/retry', { params: { path: { id } }, body: { strategy } })),
    onSuccess: (r) => {
      void queryClient.invalidateQueries({ queryKey: ['task-runs', r.taskId] });
      notifications.show({ color: 'blue', message: 'Retry started' });
      void navigate(`/runs/${r.id}`);
    },
  });
  const cancel = useMutation({
    mutationFn: () => call(api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['run', id] }),
  });

  if (run.isPending) return <Loading />;
  if (run.error) return <ProblemAlert error={run.error} />;
  const r = run.data;
  const retryable = r.status === 'failed' || r.status === 'cancelled';
  return (
    <>
      <PageHeader
        title={
          <Group gap="xs">
            <span>Run</span>
            <span data-run-status={r.id}>
              <StatusBadge status={r.status} />
            </span>
          </Group>
        }
        actions={
          <>
            {canWrite && r.status === 'running' && (
              <ConfirmButton
                label="Cancel run"
                variant="light"
                color="red"
                title="Cancel run"
                message="Stop this run? Batches already committed stay; nothing is half-applied."
                onConfirm={() => cancel.mutateAsync().catch(() => undefined)}
              />
            )}
            {canWrite && retryable && (
              <>
                <Button onClick={() => retry.mutate('resume')} loading={retry.isPending && retry.variables === 'resume'}>
                  Retry (resume)
                </Button>
                <Button
                  variant="default"
                  onClick={() => retry.mutate('restart')}
                  loading={retry.isPending && retry.variables === 'restart'}
                >
                  Retry (restart)
                </Button>
              </>
            )}
            <Button component="a" href={r.temporalUiUrl} target="_blank" rel="noreferrer" variant="subtle">
              Open in Temporal UI ↗
            </Button>
          </>
        }
      />
      <ProblemAlert error={retry.error ?? cancel.error} />
      <Stack>
        <Paper withBorder p="sm">
          <Table aria-label="Run">
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={160}>Task</Table.Th>
                <Table.Td>
                  <Anchor component={Link} to={`/tasks/${r.taskId}`}>
                    {task.data?.name ?? r.taskId}
                  </Anchor>
                </Table.Td>
                <Table.Th w={160}>Phase</Table.Th>
                <Table.Td data-testid="phase">{r.phase ?? '—'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Mode / trigger</Table.Th>
                <Table.Td>
                  {r.mode} / {r.trigger}
                </Table.Td>
                <Table.Th>Duration</Table.Th>
                <Table.Td>{runDuration(r)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Started</Table.Th>
                <Table.Td>{formatTime(r.startedAt)}</Table.Td>
                <Table.Th>Finished</Table.Th>
                <Table.Td>{formatTime(r.finishedAt)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Workflow</Table.Th>
                <Table.Td colSpan={r.retryOf ? 1 : 3}>
                  <Code>{r.workflowId}</Code>
                </Table.Td>
                {r.retryOf && (
                  <>
                    <Table.Th>Retry of</Table.Th>
                    <Table.Td>
                      <Anchor component={Link} to={`/runs/${r.retryOf}`}>
                        earlier run
                      </Anchor>
                    </Table.Td>
                  </>
                )}
              </Table.Tr>
            </Table.Tbody>
          </Table>
        </Paper>
        <Stats run={r} />
        {r.error && (
          <Alert color="red" title={`Failed: ${r.error.type}`} data-testid="run-error">
            {r.error.message}
          </Alert>
        )}
        {r.notes.length > 0 && (
          <Paper withBorder p="md">
            <Title order={4}>Notes</Title>
            <List size="sm" data-testid="notes">
              {r.notes.map((n, i) => (
                <List.Item key={i}>{n}</List.Item>
              ))}
            </List>
          </Paper>
        )}
        {r.extractReports.length > 0 && (
          <Paper withBorder p="md">
            <Title order={4}>Completeness of each listing</Title>
            <Table aria-label="Extract reports">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Resource</Table.Th>
                  <Table.Th>Complete</Table.Th>
                  <Table.Th>Records</Table.Th>
                  <Table.Th>Server total</Table.Th>
                  <Table.Th>Pages</Table.Th>
                  <Table.Th>Paging</Table.Th>
                  <Table.Th>Why</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {r.extractReports.map((e) => (
                  <Table.Tr key={e.path}>
                    <Table.Td>
                      <Code>{e.path}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Badge color={e.complete ? 'green' : 'red'} variant="light">
                        {e.complete ? 'complete' : 'incomplete'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{e.distinctIds ?? '—'}</Table.Td>
                    <Table.Td>{e.totalResultsClaimed ?? '—'}</Table.Td>
                    <Table.Td>{e.pages ?? '—'}</Table.Td>
                    <Table.Td>{e.pagingMethod ?? '—'}</Table.Td>
                    <Table.Td>
                      <Text size="sm">{e.reason}</Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Paper>
        )}
        <RemovalPanel run={r} />
        <Records runId={r.id} status={r.status} />
      </Stack>
    </>
  );
}
