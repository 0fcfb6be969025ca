import { Anchor, Badge, Button, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useConnectors } from '../api/queries';
import { Loading, PageHeader, ProblemAlert } from '../components/common';
import { inWords } from '../format';
import { useSession } from '../session';

export function ConnectorsPage() {
  const { canWrite } = useSession();
  const connectors = useConnectors();
  return (
    <>
      <PageHeader
        title="Connectors"
        actions={
          canWrite && (
            <Button component={Link} to="/connectors/new">
              New connector
            </Button>
          )
        }
      />
      <ProblemAlert error={connectors.error} />
      {connectors.isPending ? (
        <Loading />
      ) : connectors.data?.items.length === 0 ? (
        <Text c="dimmed">No connectors yet.{canWrite && ' Create one to read from a SCIM server.'}</Text>
      ) : (
        <Table striped highlightOnHover aria-label="Connectors">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Base URL</Table.Th>
              <Table.Th>Auth</Table.Th>
              <Table.Th>Page size</Table.Th>
              <Table.Th>Rate limit</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {connectors.data?.items.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/connectors/${c.id}`}>
                    {c.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <code>{c.baseUrl}</code>
                </Table.Td>
                <Table.Td>
                  {inWords(c.auth.type)}
                  {c.auth.username ? ` (${c.auth.username})` : c.auth.clientId ? ` (${c.auth.clientId})` : ''}{' '}
                  <Badge size="xs" variant="light" color={c.auth.secretSet ? 'green' : 'red'}>
                    secret {c.auth.secretSet ? 'set' : 'missing'}
                  </Badge>
                </Table.Td>
                <Table.Td>{c.pageSize}</Table.Td>
                <Table.Td>{c.rateLimitPerSecond ? `${c.rateLimitPerSecond}/s` : 'unlimited'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
