import { useEffect, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NumberInput,
  Paper,
  PasswordInput,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { Link, useNavigate, useParams } from 'react-router';
import { etagOf, type Connector, type CreateConnectorBody, type Schemas } from '../api/client';
import {
  useConnector,
  useDeleteConnector,
  useRuns,
  useSaveConnector,
  useTasks,
  useTestAuthentication,
  useTestConnection,
} from '../api/queries';
import { ConfirmButton, fieldError, Loading, PageHeader, ProblemAlert, LastRunCell, SubmitBar } from '../components/common';
import { RunsTable } from '../components/runs-table';
import { inWords, scheduleInWords } from '../format';
import { useSession } from '../session';

const RECENT_RUNS = 10;

type AuthType = 'basic' | 'bearer' | 'oauth2';

interface ConnectorForm {
  name: string;
  baseUrl: string;
  authType: AuthType;
  username: string;
  clientId: string;
  tokenUrl: string;
  scope: string;
  /** the new secret; empty keeps the stored one (edit) */
  secret: string;
  pageSize: number | '';
  timeoutMs: number | '';
  rateLimitPerSecond: number | '';
  attributeProjection: boolean;
  caPem: string;
  rejectUnauthorized: boolean;
}

const SECRET_LABEL: Record<AuthType, string> = { basic: 'Password', bearer: 'Bearer token', oauth2: 'Client secret' };
const SECRET_FIELD: Record<AuthType, 'password' | 'token' | 'clientSecret'> = {
  basic: 'password',
  bearer: 'token',
  oauth2: 'clientSecret',
};

function formOf(c?: Connector): ConnectorForm {
  return {
    name: c?.name ?? '',
    baseUrl: c?.baseUrl ?? '',
    authType: (c?.auth.type as AuthType) ?? 'basic',
    username: c?.auth.username ?? '',
    clientId: c?.auth.clientId ?? '',
    tokenUrl: c?.auth.tokenUrl ?? '',
    scope: c?.auth.scope ?? '',
    secret: '',
    pageSize: c?.pageSize ?? 200,
    timeoutMs: c?.timeoutMs ?? 30000,
    rateLimitPerSecond: c?.rateLimitPerSecond ?? '',
    attributeProjection: c?.attributeProjection ?? true,
    caPem: c?.tls.caPem ?? '',
    rejectUnauthorized: c?.tls.rejectUnauthorized ?? true,
  };
}

/** What is missing before Save can be pressed. */
function missingFields(f: ConnectorForm, secretStored: boolean): string[] {
  const missing: string[] = [];
  if (!f.name.trim()) missing.push('Name');
  if (!f.baseUrl.trim()) missing.push('Base URL');
  if (f.authType === 'basic' && !f.username.trim()) missing.push('Username');
  if (f.authType === 'oauth2' && !f.tokenUrl.trim()) missing.push('Token URL');
  if (f.authType === 'oauth2' && !f.clientId.trim()) missing.push('Client ID');
  if (!secretStored && !f.secret) missing.push(SECRET_LABEL[f.authType]);
  return missing;
}

function bodyOf(f: ConnectorForm): CreateConnectorBody {
  const auth: CreateConnectorBody['auth'] = { type: f.authType };
  if (f.authType === 'basic') auth.username = f.username.trim();
  if (f.authType === 'oauth2')
    Object.assign(auth, { clientId: f.clientId.trim(), tokenUrl: f.tokenUrl.trim(), ...(f.scope.trim() ? { scope: f.scope.trim() } : {}) });
  if (f.secret) auth[SECRET_FIELD[f.authType]] = f.secret;
  return {
    name: f.name.trim(),
    baseUrl: f.baseUrl.trim(),
    auth,
    ...(f.pageSize !== '' ? { pageSize: f.pageSize } : {}),
    ...(f.timeoutMs !== '' ? { timeoutMs: f.timeoutMs } : {}),
    ...(f.rateLimitPerSecond !== '' ? { rateLimitPerSecond: f.rateLimitPerSecond } : {}),
    attributeProjection: f.attributeProjection,
    tls: { rejectUnauthorized: f.rejectUnauthorized, ...(f.caPem.trim() ? { caPem: f.caPem.trim() } : {}) },
  };
}

function Capabilities({ sp }: { sp: Schemas['ServiceProviderView'] }) {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const rows: Array<[string, string]> = [
    ['Paging methods', [sp.indexPagination && 'index', sp.cursorPagination && 'cursor'].filter(Boolean).join(', ') || 'none'],
    ['Default paging', sp.defaultPaginationMethod ?? '—'],
    ['Filter', yes(sp.filter)],
    ['Max results (filtered)', sp.maxResults !== undefined ? String(sp.maxResults) : '—'],
    ['Max page size', sp.maxPageSize !== undefined ? String(sp.maxPageSize) : '—'],
    ['Sort', yes(sp.sort)],
    ['ETag', yes(sp.etag)],
    ['PATCH', yes(sp.patch)],
  ];
  return (
    <Table aria-label="Server capabilities" withTableBorder mt="xs" data-testid="capabilities">
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Th w={220}>{k}</Table.Th>
            <Table.Td>{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function ConnectorTests({ id }: { id: string }) {
  const { canWrite } = useSession();
  const connection = useTestConnection(id);
  const authentication = useTestAuthentication(id);
  return (
    <Paper withBorder p="md" mt="lg">
      <Title order={4} mb="xs">
        Tests
      </Title>
      <Group>
        <Button variant="light" onClick={() => connection.mutate()} loading={connection.isPending} disabled={!canWrite}>
          Test connection
        </Button>
        <Button variant="light" onClick={() => authentication.mutate()} loading={authentication.isPending} disabled={!canWrite}>
          Test authentication
        </Button>
      </Group>
      {!canWrite && (
        <Text size="sm" c="dimmed" mt="xs">
          Tests contact the source and need an admin token.
        </Text>
      )}
      <Stack mt="md" gap="xs" aria-live="polite">
        {connection.data && (
          <Alert
            color={connection.data.ok ? 'green' : 'red'}
            title={`Connection ${connection.data.ok ? 'OK' : 'failed'} (${connection.data.latencyMs} ms)`}
            data-testid="connection-result"
          >
            {connection.data.message}
          </Alert>
        )}
        {connection.error && <ProblemAlert error={connection.error} title="Connection failed" />}
        {authentication.data && (
          <Alert
            color={authentication.data.ok ? 'green' : 'red'}
            title={`Authentication ${authentication.data.ok ? 'OK' : 'failed'}`}
            data-testid="authentication-result"
          >
            {authentication.data.message}
            {authentication.data.serviceProvider && <Capabilities sp={authentication.data.serviceProvider} />}
          </Alert>
        )}
        {authentication.error && <ProblemAlert error={authentication.error} title="Authentication test failed" />}
      </Stack>
    </Paper>
  );
}

/** The tasks that read through this connector (from the one tasks list), and New task with it chosen. */
function ConnectorTasks({ id }: { id: string }) {
  const { canWrite } = useSession();
  const tasks = useTasks();
  const mine = (tasks.data?.items ?? []).filter((t) => t.connectorId === id);
  return (
    <Paper withBorder p="md" mt="lg" data-testid="connector-tasks">
      <Group justify="space-between" mb="xs">
        <Title order={4}>Tasks</Title>
        {canWrite && (
          <Button component={Link} to={`/tasks/new?connectorId=${encodeURIComponent(id)}`} size="xs">
            New task
          </Button>
        )}
      </Group>
      <ProblemAlert error={tasks.error} />
      {tasks.isPending ? (
        <Loading />
      ) : mine.length === 0 ? (
        <Text c="dimmed" size="sm">
          No task reads through this connector yet.
        </Text>
      ) : (
        <Table aria-label="Tasks of this connector">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Last run</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mine.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/tasks/${t.id}`}>
                    {t.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  {inWords(t.type)} · {inWords(t.mappingsType)}
                </Table.Td>
                <Table.Td>
                  {scheduleInWords(t.schedule)}
                  {!t.enabled && ' (paused)'}
                </Table.Td>
                <Table.Td>
                  <LastRunCell task={t} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

/** The newest runs of the connector's tasks, from GET /runs?connectorId=. */
function ConnectorRuns({ id }: { id: string }) {
  const runs = useRuns({ connectorId: id }, RECENT_RUNS);
  const tasks = useTasks();
  const taskNames = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.name]));
  return (
    <Paper withBorder p="md" mt="lg" data-testid="connector-runs">
      <Group justify="space-between" mb="xs">
        <Title order={4}>Recent runs</Title>
        <Anchor component={Link} to={`/runs?connectorId=${encodeURIComponent(id)}`} size="sm">
          All runs of this connector
        </Anchor>
      </Group>
      <ProblemAlert error={runs.error} />
      {runs.isPending ? <Loading /> : <RunsTable runs={runs.data?.pages[0]?.items ?? []} taskNames={taskNames} />}
    </Paper>
  );
}

export function ConnectorPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const { canWrite } = useSession();
  const existing = useConnector(id);
  const [form, setForm] = useState<ConnectorForm>(formOf());
  const [replacingSecret, setReplacingSecret] = useState(false);
  // the version the form was filled from: a save changes only that one (If-Match)
  const [etag, setEtag] = useState<string>();
  useEffect(() => {
    if (!existing.data) return;
    setForm(formOf(existing.data));
    setEtag(etagOf(`/api/v1/connectors/${existing.data.id}`));
  }, [existing.data]);
  const set = <K extends keyof ConnectorForm>(key: K, value: ConnectorForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const secretStored = !!existing.data?.auth.secretSet && existing.data.auth.type === form.authType;
  const missing = missingFields(form, secretStored);
  const save = useSaveConnector(id);
  const saveForm = () =>
    save.mutate(
      { body: bodyOf(form), etag },
      {
        onSuccess: (c) => {
          setReplacingSecret(false);
          notifications.show({ color: 'green', message: `Connector "${c.name}" saved` });
          if (!id) void navigate(`/connectors/${c.id}`);
        },
      },
    );
  const remove = useDeleteConnector(id ?? '');

  if (id && existing.isPending) return <Loading />;
  if (id && existing.error) return <ProblemAlert error={existing.error} />;
  const err = save.error;
  const showSecretInput = !secretStored || replacingSecret;

  return (
    <>
      <PageHeader
        title={id ? `Connector ${existing.data?.name ?? ''}` : 'New connector'}
        actions={
          id &&
          canWrite && (
            <ConfirmButton
              label="Delete"
              variant="light"
              color="red"
              title="Delete connector"
              message={`Delete connector "${existing.data?.name}"? Tasks that use it must be deleted first.`}
              onConfirm={() =>
                remove
                  .mutateAsync()
                  .then(() => navigate('/connectors'))
                  .catch(() => undefined)
              }
            />
          )
        }
      />
      <ProblemAlert error={remove.error} onReload={() => void existing.refetch().then(() => remove.reset())} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (missing.length === 0) saveForm();
        }}
      >
        <fieldset disabled={!canWrite} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack maw={720}>
            <ProblemAlert error={err} title="Not saved" onReload={() => void existing.refetch().then(() => save.reset())} />
            <TextInput
              label="Name"
              required
              value={form.name}
              onChange={(e) => set('name', e.currentTarget.value)}
              error={fieldError(err, 'name')}
            />
            <TextInput
              label="Base URL"
              description="The SCIM base, e.g. https://scim.example.com/scim/v2"
              required
              value={form.baseUrl}
              onChange={(e) => set('baseUrl', e.currentTarget.value)}
              error={fieldError(err, 'baseUrl')}
            />
            <Fieldset legend="Authentication">
              <Stack>
                <div>
                  <Text size="sm" fw={500} id="auth-type-label">
                    Type
                  </Text>
                  <SegmentedControl
                    aria-labelledby="auth-type-label"
                    value={form.authType}
                    onChange={(v) => set('authType', v)}
                    data={[
                      { value: 'basic', label: 'Basic' },
                      { value: 'bearer', label: 'Bearer token' },
                      { value: 'oauth2', label: 'OAuth2 client credentials' },
                    ]}
                  />
                </div>
                {form.authType === 'basic' && (
                  <TextInput
                    label="Username"
                    required
                    value={form.username}
                    onChange={(e) => set('username', e.currentTarget.value)}
                    error={fieldError(err, 'auth.username')}
                  />
                )}
                {form.authType === 'oauth2' && (
                  <>
                    <TextInput
                      label="Token URL"
                      required
                      value={form.tokenUrl}
                      onChange={(e) => set('tokenUrl', e.currentTarget.value)}
                      error={fieldError(err, 'auth.tokenUrl')}
                    />
                    <TextInput
                      label="Client ID"
                      required
                      value={form.clientId}
                      onChange={(e) => set('clientId', e.currentTarget.value)}
                      error={fieldError(err, 'auth.clientId')}
                    />
                    <TextInput
                      label="Scope"
                      value={form.scope}
                      onChange={(e) => set('scope', e.currentTarget.value)}
                      error={fieldError(err, 'auth.scope')}
                    />
                  </>
                )}
                {showSecretInput ? (
                  <Group align="flex-end">
                    <PasswordInput
                      style={{ flex: 1 }}
                      label={SECRET_LABEL[form.authType]}
                      description="Write-only: it is encrypted at rest and never shown again"
                      required={!secretStored}
                      autoComplete="new-password"
                      value={form.secret}
                      onChange={(e) => set('secret', e.currentTarget.value)}
                      error={fieldError(err, `auth.${SECRET_FIELD[form.authType]}`)}
                    />
                    {secretStored && (
                      <Button
                        variant="default"
                        onClick={() => {
                          setReplacingSecret(false);
                          set('secret', '');
                        }}
                      >
                        Keep stored
                      </Button>
                    )}
                  </Group>
                ) : (
                  <Group>
                    <Text size="sm" fw={500}>
                      {SECRET_LABEL[form.authType]}
                    </Text>
                    <Badge color="green" variant="light" data-testid="secret-set">
                      set
                    </Badge>
                    <Button size="xs" variant="default" onClick={() => setReplacingSecret(true)}>
                      Replace
                    </Button>
                  </Group>
                )}
              </Stack>
            </Fieldset>
            <Group grow>
              <NumberInput
                label="Page size"
                min={1}
                max={10000}
                value={form.pageSize}
                onChange={(v) => set('pageSize', v === '' ? '' : Number(v))}
                error={fieldError(err, 'pageSize')}
              />
              <NumberInput
                label="Timeout (ms)"
                min={100}
                max={600000}
                value={form.timeoutMs}
                onChange={(v) => set('timeoutMs', v === '' ? '' : Number(v))}
                error={fieldError(err, 'timeoutMs')}
              />
              <NumberInput
                label="Rate limit (requests/s)"
                description="empty: unlimited"
                min={0.1}
                value={form.rateLimitPerSecond}
                onChange={(v) => set('rateLimitPerSecond', v === '' ? '' : Number(v))}
                error={fieldError(err, 'rateLimitPerSecond')}
              />
            </Group>
            <Checkbox
              label="Ask only for the mapped attributes (attributes=)"
              description="A server that rejects or ignores it is read whole either way; turn it off for a server that answers a projected listing wrongly."
              checked={form.attributeProjection}
              onChange={(e) => set('attributeProjection', e.currentTarget.checked)}
            />
            <Fieldset legend="TLS">
              <Stack>
                <Checkbox
                  label="Verify the server certificate"
                  checked={form.rejectUnauthorized}
                  onChange={(e) => set('rejectUnauthorized', e.currentTarget.checked)}
                />
                <Textarea
                  label="Extra CA certificate (PEM)"
                  autosize
                  minRows={2}
                  maxRows={8}
                  value={form.caPem}
                  onChange={(e) => set('caPem', e.currentTarget.value)}
                  error={fieldError(err, 'tls.caPem')}
                />
              </Stack>
            </Fieldset>
            {canWrite && <SubmitBar label={id ? 'Save' : 'Create connector'} saving={save.isPending} missing={missing} />}
          </Stack>
        </fieldset>
      </form>
      {id && <ConnectorTests id={id} />}
      {id && <ConnectorTasks id={id} />}
      {id && <ConnectorRuns id={id} />}
    </>
  );
}
