import { useState } from 'react';
import { Anchor, Button, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useSearchParams } from 'react-router';
import { useDatacards, useFolders, useTasks, useTemplates } from '../api/queries';
import { Loading, PageHeader, ProblemAlert, StatusBadge } from '../components/common';
import { formatTime, inWords } from '../format';

/** Datacards by template, folder, status, task and text; filters live in the URL so a view can be shared. */
export function DatacardsPage() {
  const [params, setParams] = useSearchParams();
  const filter = {
    template: params.get('template') ?? '',
    folder: params.get('folder') ?? '',
    status: params.get('status') ?? '',
    taskId: params.get('taskId') ?? '',
  };
  const [text, setText] = useState(params.get('q') ?? '');
  const [q] = useDebouncedValue(text.trim(), 300);
  const setFilter = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key === 'template') next.delete('folder');
    setParams(next, { replace: true });
  };
  const templates = useTemplates();
  const folders = useFolders();
  const tasks = useTasks();
  const cards = useDatacards({ ...filter, q });
  const taskNames = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  const items = cards.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Datacards" />
      <Group mb="md" align="flex-end">
        <Select
          label="Template"
          clearable
          placeholder="any"
          data={(templates.data?.items ?? []).map((t) => ({ value: t.code, label: `${t.name} (${t.code})` }))}
          value={filter.template || null}
          onChange={(v) => setFilter('template', v)}
        />
        <Select
          label="Folder"
          clearable
          placeholder="any"
          data={(folders.data?.items ?? [])
            .filter((f) => !filter.template || f.templateCode === filter.template)
            .map((f) => ({ value: f.code, label: `${f.name} (${f.code})` }))}
          value={filter.folder || null}
          onChange={(v) => setFilter('folder', v)}
        />
        <Select
          label="Status"
          clearable
          placeholder="any"
          data={['active', 'removed'].map((v) => ({ value: v, label: inWords(v) }))}
          value={filter.status || null}
          onChange={(v) => setFilter('status', v)}
        />
        <Select
          label="Task"
          clearable
          searchable
          placeholder="any"
          data={(tasks.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }))}
          value={filter.taskId || null}
          onChange={(v) => setFilter('taskId', v)}
        />
        <TextInput
          label="Search"
          placeholder="unique value or attribute text"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
        />
      </Group>
      <ProblemAlert error={cards.error} />
      {cards.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text c="dimmed">No datacards match.</Text>
      ) : (
        <Table striped highlightOnHover aria-label="Datacards" data-testid="datacards">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Unique value</Table.Th>
              <Table.Th>Summary</Table.Th>
              <Table.Th>Template / folder</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Task</Table.Th>
              <Table.Th>Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/datacards/${d.id}`}>
                    {d.uniqueValue}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={1}>
                    {String(d.attributes.login ?? d.attributes.name ?? d.attributes.message ?? d.attributes.displayName ?? '')}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {d.templateCode} / {d.folderCode}
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={d.status} />
                </Table.Td>
                <Table.Td>{d.taskId ? (taskNames.get(d.taskId) ?? d.taskId.slice(0, 8)) : '—'}</Table.Td>
                <Table.Td>{formatTime(d.updatedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {cards.hasNextPage && (
        <Button variant="default" mt="sm" onClick={() => void cards.fetchNextPage()} loading={cards.isFetchingNextPage}>
          More datacards
        </Button>
      )}
    </>
  );
}
