import { CompositeChart } from '@mantine/charts';
import { Paper, Text, Title } from '@mantine/core';
import type { Run } from '../api/client';
import { elapsedMs, formatTime } from '../format';

const COUNTS = [
  { name: 'created', color: 'teal.6' },
  { name: 'updated', color: 'blue.6' },
  { name: 'removed', color: 'gray.6' },
  { name: 'failed', color: 'red.6' },
] as const;

/**
 * How a task's finished runs moved, oldest to newest: the records each created, updated, removed
 * and failed (bars) and how long it took (line, right axis). A drifting source or a slowing server
 * shows here first.
 */
export function RunHistoryChart({ runs }: { runs: Run[] }) {
  const finished = runs.filter((r) => r.finishedAt).reverse();
  const data = finished.map((r) => ({
    run: formatTime(r.startedAt).slice(5),
    created: r.stats.created,
    updated: r.stats.updated,
    removed: r.stats.removed,
    failed: r.stats.failed,
    duration: Math.round(elapsedMs(r.startedAt, r.finishedAt) / 100) / 10,
  }));
  return (
    <Paper withBorder p="md" data-testid="run-history" data-runs={data.length}>
      <Title order={4}>History of the last {data.length} finished runs</Title>
      {data.length < 2 ? (
        <Text c="dimmed" size="sm">
          The chart appears after two finished runs.
        </Text>
      ) : (
        <CompositeChart
          h={240}
          mt="sm"
          data={data}
          dataKey="run"
          withLegend
          withRightYAxis
          yAxisLabel="records"
          rightYAxisLabel="duration (s)"
          maxBarWidth={24}
          series={[
            ...COUNTS.map((c) => ({ ...c, type: 'bar' as const })),
            { name: 'duration', label: 'duration (s)', color: 'orange.6', type: 'line' as const, yAxisId: 'right' },
          ]}
        />
      )}
    </Paper>
  );
}
