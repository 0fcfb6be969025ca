import { Anchor, Code, Group, Paper, Table, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { useDatacard, useReferencedDatacards, useTask, useTemplate } from '../api/queries';
import { Loading, PageHeader, ProblemAlert, StatusBadge } from '../components/common';
import { formatTime } from '../format';

const MAX_RESOLVED = 100;

function label(attrs: Record<string, unknown> | undefined, fallback: string): string {
  const v = attrs?.name ?? attrs?.displayName ?? attrs?.login ?? attrs?.email;
  return typeof v === 'string' && v ? v : fallback;
}

export function DatacardPage() {
  const { id } = useParams() as { id: string };
  const card = useDatacard(id);
  const template = useTemplate(card.data?.templateCode);
  const task = useTask(card.data?.taskId ?? undefined);
  const references = (template.data?.attributes ?? []).filter((a) => a.type === 'reference').map((a) => a.code);
  const referencedIds = [
    ...new Set(references.flatMap((code) => (Array.isArray(card.data?.attributes[code]) ? (card.data.attributes[code] as string[]) : []))),
  ];
  // memberships are datacard ids: resolve them to names
  const resolved = useReferencedDatacards(referencedIds, MAX_RESOLVED);
  const names = new Map(resolved.flatMap((q) => (q.data ? [[q.data.id, label(q.data.attributes, q.data.uniqueValue)] as const] : [])));

  if (card.isPending) return <Loading />;
  if (card.error) return <ProblemAlert error={card.error} />;
  const d = card.data;
  const attrName = new Map((template.data?.attributes ?? []).map((a) => [a.code, a.name]));
  const codes = [...new Set([...(template.data?.attributes ?? []).map((a) => a.code), ...Object.keys(d.attributes)])];
  return (
    <>
      <PageHeader
        title={
          <Group gap="xs">
            <span>{label(d.attributes, d.uniqueValue)}</span>
            <StatusBadge status={d.status} />
          </Group>
        }
      />
      <Paper withBorder p="sm" mb="md">
        <Table aria-label="Datacard">
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={180}>Unique value</Table.Th>
              <Table.Td>
                <Code>{d.uniqueValue}</Code>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Template / folder</Table.Th>
              <Table.Td>
                <Anchor component={Link} to={`/datacards?template=${encodeURIComponent(d.templateCode)}`}>
                  {template.data?.name ?? d.templateCode}
                </Anchor>{' '}
                / {d.folderCode}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Owning task</Table.Th>
              <Table.Td>
                {d.taskId ? (
                  <Anchor component={Link} to={`/tasks/${d.taskId}`}>
                    {task.data?.name ?? d.taskId}
                  </Anchor>
                ) : (
                  '—'
                )}
                <Text size="xs" c="dimmed">
                  the task that last wrote this card; other tasks may read the same record
                </Text>
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Created / updated</Table.Th>
              <Table.Td>
                {formatTime(d.createdAt)} / {formatTime(d.updatedAt)}
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Paper>
      <Paper withBorder p="sm">
        <Table striped aria-label="Attributes" data-testid="attributes">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Attribute</Table.Th>
              <Table.Th>Value</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {codes.map((code) => {
              const v = d.attributes[code];
              return (
                <Table.Tr key={code}>
                  <Table.Td>
                    {attrName.get(code) ?? code} <Code>{code}</Code>
                  </Table.Td>
                  <Table.Td>
                    {references.includes(code) && Array.isArray(v) ? (
                      <Group gap="xs">
                        {(v as string[]).map((rid) => (
                          <Anchor key={rid} component={Link} to={`/datacards/${rid}`} size="sm">
                            {names.get(rid) ?? rid.slice(0, 8)}
                          </Anchor>
                        ))}
                        {v.length === 0 && '—'}
                      </Group>
                    ) : v === undefined || v === null ? (
                      <Text c="dimmed">—</Text>
                    ) : typeof v === 'object' ? (
                      <Code>{JSON.stringify(v)}</Code>
                    ) : (
                      String(v)
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Paper>
    </>
  );
}
