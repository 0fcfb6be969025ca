import { Anchor, Badge, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import type { Run } from '../api/client';
import { formatTime, inWords, phaseInWords, runDuration } from '../format';
import { StatusBadge } from './common';

// a time, a status badge or a duration broken over two lines (or cut short) reads badly
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/** Runs, newest first, with status, counts and duration. */
export function RunsTable({ runs, taskNames, empty }: { runs: Run[]; taskNames?: Map<string, string>; empty?: string }) {
  if (runs.length === 0) return <Text c="dimmed">{empty ?? 'No runs yet.'}</Text>;
  return (
    <Table striped highlightOnHover aria-label="Runs">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Started</Table.Th>
          {taskNames && <Table.Th>Task</Table.Th>}
          <Table.Th>Status</Table.Th>
          <Table.Th>Phase</Table.Th>
          <Table.Th>Mode / trigger</Table.Th>
          <Table.Th>Fetched</Table.Th>
          <Table.Th>Created</Table.Th>
          <Table.Th>Updated</Table.Th>
          <Table.Th>Unchanged</Table.Th>
          <Table.Th>Removed</Table.Th>
          <Table.Th>Failed</Table.Th>
          <Table.Th>Duration</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {runs.map((r) => (
          <Table.Tr key={r.id} data-run-id={r.id}>
            <Table.Td style={NO_WRAP}>
              <Anchor component={Link} to={`/runs/${r.id}`}>
                {formatTime(r.startedAt)}
              </Anchor>
            </Table.Td>
            {taskNames && (
              <Table.Td>
                <Anchor component={Link} to={`/tasks/${r.taskId}`}>
                  {taskNames.get(r.taskId) ?? r.taskId.slice(0, 8)}
                </Anchor>
              </Table.Td>
            )}
            <Table.Td style={NO_WRAP}>
              <StatusBadge status={r.status} />
              {r.removal?.state === 'awaitingApproval' && (
                <Text size="xs" c="yellow.8">
                  removals await approval
                </Text>
              )}
            </Table.Td>
            <Table.Td>{phaseInWords(r.phase)}</Table.Td>
            <Table.Td>
              {inWords(r.mode)} / {inWords(r.trigger)}
              {r.dryRun && (
                <Badge size="xs" variant="outline" ml={6}>
                  dry run
                </Badge>
              )}
            </Table.Td>
            <Table.Td>{r.stats.fetched}</Table.Td>
            <Table.Td>{r.stats.created}</Table.Td>
            <Table.Td>{r.stats.updated}</Table.Td>
            <Table.Td>{r.stats.unchanged}</Table.Td>
            <Table.Td>{r.stats.removed}</Table.Td>
            <Table.Td>{r.stats.failed}</Table.Td>
            <Table.Td style={NO_WRAP}>{runDuration(r)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
