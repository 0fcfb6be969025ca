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
  Progress,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Timeline,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link, useNavigate, useParams } from 'react-router';
import type { Run } from '../api/client';
import {
  useCancelRun,
  useDecideRemovals,
  useRemovalCandidates,
  useRetryRun,
  useRun,
  useRunRecords,
  useTask,
  type RecordOutcome,
} from '../api/queries';
import { ConfirmButton, Loading, PageHeader, ProblemAlert, StatusBadge } from '../components/common';
import { elapsedMs, formatCount, formatDuration, formatTime, inWords, phaseInWords, readProgressInWords, runDuration } from '../format';
import { useSession } from '../session';

const STAT_KEYS = ['fetched', 'created', 'updated', 'unchanged', 'removed', 'failed'] as const;
const OUTCOMES: RecordOutcome[] = ['all', 'failed', 'created', 'updated', 'unchanged', 'removed'];

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

const EXPECTED_FROM: Record<string, string> = {
  totalResults: "expected: the server's count",
  lastRun: 'expected: the last complete run',
};

/** How far a running run has come: a bar per resource read, and one for the load. */
function RunProgress({ progress }: { progress: NonNullable<Run['progress']> }) {
  return (
    <Paper withBorder p="md" data-testid="progress">
      <Title order={4} mb="xs">
        Progress
      </Title>
      <Stack gap="sm">
        {progress.resources.map((p) => {
          const percent = p.done ? 100 : p.expected ? Math.min(100, (p.read / p.expected) * 100) : 0;
          return (
            <div key={p.path} data-testid={`progress-${p.resource}`} data-read={p.read} data-expected={p.expected ?? ''}>
              <Group justify="space-between" gap="xs">
                <Text size="sm" fw={500}>
                  Reading {inWords(p.resource)} <Code>{p.path}</Code>
                </Text>
                <Text size="xs" c="dimmed">
                  {p.expectedFrom ? EXPECTED_FROM[p.expectedFrom] : p.done ? '' : 'no expected count yet'}
                </Text>
              </Group>
              <Progress
                value={p.expected || p.done ? percent : p.read > 0 ? 100 : 0}
                striped={!p.done}
                animated={!p.done && !p.expected && p.read > 0}
                color={p.done ? 'green' : 'blue'}
                aria-label={`Read of ${p.path}`}
                size="lg"
              />
              <Text size="sm" data-testid="progress-text">
                {readProgressInWords(p)}
              </Text>
            </div>
          );
        })}
        {progress.load && (
          <div data-testid="progress-load" data-written={progress.load.written}>
            <Text size="sm" fw={500}>
              Writing to the target
            </Text>
            <Progress
              value={progress.load.total ? Math.min(100, (progress.load.written / progress.load.total) * 100) : 0}
              striped
              color="teal"
              aria-label="Load"
              size="lg"
            />
            <Text size="sm" data-testid="progress-text">
              {formatCount(progress.load.written)} of {formatCount(progress.load.total)} written
            </Text>
          </div>
        )}
      </Stack>
    </Paper>
  );
}

/** The steps the run went through, with how long each took (the last one running for so far). */
function Phases({ run }: { run: Run }) {
  const phases = run.phases ?? [];
  const running = run.status === 'running';
  return (
    <Paper withBorder p="md" data-testid="phases">
      <Title order={4} mb="xs">
        Steps
      </Title>
      <Timeline
        active={running ? phases.length - 1 : phases.length}
        bulletSize={12}
        lineWidth={2}
        styles={{ item: { marginTop: 'var(--mantine-spacing-xs)' }, itemBody: { paddingLeft: 4 } }}
      >
        {phases.map((p, i) => (
          <Timeline.Item key={`${p.phase}-${i}`} data-phase={p.phase}>
            <Group gap="xs" wrap="nowrap">
              <Text size="sm" fw={500} miw={120}>
                {phaseInWords(p.phase)}
              </Text>
              <Text size="xs" c="dimmed">
                {p.finishedAt
                  ? formatDuration(elapsedMs(p.startedAt, p.finishedAt))
                  : running
                    ? `running for ${formatDuration(elapsedMs(p.startedAt, null))}`
                    : 'did not finish'}{' '}
                · from {formatTime(p.startedAt).slice(11)}
              </Text>
            </Group>
          </Timeline.Item>
        ))}
      </Timeline>
    </Paper>
  );
}

function RemovalPanel({ run }: { run: Run }) {
  const { canWrite } = useSession();
  const removal = run.removal;
  const awaiting = run.status === 'running' && removal?.state === 'awaitingApproval';
  const candidates = useRemovalCandidates(run.id, awaiting || removal?.state === 'applying');
  const decide = useDecideRemovals(run.id);
  const decideRemovals = (approve: boolean) =>
    decide
      .mutateAsync(approve)
      .then(() => notifications.show({ color: approve ? 'green' : 'gray', message: approve ? 'Removals approved' : 'Removals rejected' }))
      .catch(() => undefined);
  if (!removal) return null;
  return (
    <Paper withBorder p="md" data-testid="removal">
      <Group justify="space-between">
        <Title order={4}>Removals</Title>
        <Badge
          color={awaiting ? 'yellow' : removal.state === 'applied' ? 'green' : 'gray'}
          data-testid="removal-state"
          data-state={removal.state}
        >
          {inWords(removal.state)}
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
                generic) — {removal.threshold.exceeded ? 'exceeded' : 'within the threshold'}
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
                {inWords(removal.decision)} {removal.decidedAt && `at ${formatTime(removal.decidedAt)}`}
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
                  <Table.Th>Login, email or name</Table.Th>
                  <Table.Th>Template / folder</Table.Th>
                  <Table.Th>Status now</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {[...candidates.data.items]
                  .sort((x, y) => x.kind.localeCompare(y.kind) || x.uniqueValue.localeCompare(y.uniqueValue))
                  .map((c) => (
                    <Table.Tr key={c.datacardId} data-unique-value={c.uniqueValue}>
                      <Table.Td>{inWords(c.kind)}</Table.Td>
                      <Table.Td>
                        <Anchor component={Link} to={`/datacards/${c.datacardId}`} data-testid="candidate">
                          {c.uniqueValue}
                        </Anchor>
                      </Table.Td>
                      <Table.Td data-testid="candidate-summary">{c.summary ?? '—'}</Table.Td>
                      <Table.Td>
                        {c.templateCode} / {c.folderCode}
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={c.status} />
                      </Table.Td>
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
                onConfirm={() => decideRemovals(true)}
              />
              <ConfirmButton
                label="Reject removals"
                variant="default"
                color="gray"
                title="Reject removals"
                message="Finish the run without removing anything?"
                onConfirm={() => decideRemovals(false)}
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
  const [outcome, setOutcome] = useState<RecordOutcome>('all');
  const records = useRunRecords(runId, outcome, live);
  const items = records.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Paper withBorder p="md" data-testid="records-section">
      <Group justify="space-between" mb="xs">
        <Title order={4}>Records</Title>
        <SegmentedControl aria-label="Outcome filter" size="xs" value={outcome} onChange={(v) => setOutcome(v)} data={OUTCOMES} />
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
                <Table.Td>{inWords(r.kind)}</Table.Td>
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
  const { canWrite } = useSession();
  const run = useRun(id);
  const task = useTask(run.data?.taskId);
  const retry = useRetryRun(id);
  const startRetry = (strategy: 'resume' | 'restart') =>
    retry.mutate(strategy, {
      onSuccess: (r) => {
        notifications.show({ color: 'blue', message: 'Retry started' });
        void navigate(`/runs/${r.id}`);
      },
    });
  const cancel = useCancelRun(id);

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
                <Button onClick={() => startRetry('resume')} loading={retry.isPending && retry.variables === 'resume'}>
                  Retry (resume)
                </Button>
                <Button variant="default" onClick={() => startRetry('restart')} loading={retry.isPending && retry.variables === 'restart'}>
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
                <Table.Td data-testid="phase" data-phase={r.phase ?? ''}>
                  {phaseInWords(r.phase)}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Mode / trigger</Table.Th>
                <Table.Td>
                  {inWords(r.mode)} / {inWords(r.trigger)}
                  {r.dryRun && ' · dry run: nothing in the target was written'}
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
        {(r.progress || (r.phases?.length ?? 0) > 0) && (
          <SimpleGrid cols={{ base: 1, md: r.progress ? 2 : 1 }}>
            {r.progress && <RunProgress progress={r.progress} />}
            {(r.phases?.length ?? 0) > 0 && <Phases run={r} />}
          </SimpleGrid>
        )}
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
