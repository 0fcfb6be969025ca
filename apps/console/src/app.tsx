import { AppShell, Badge, Burger, Button, Group, NavLink, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { SessionProvider, useSession } from './session';
import { SignInPage } from './pages/sign-in';
import { ConnectorsPage } from './pages/connectors';
import { ConnectorPage } from './pages/connector';
import { TasksPage } from './pages/tasks';
import { TaskPage } from './pages/task';
import { TaskFormPage } from './pages/task-form';
import { RunsPage } from './pages/runs';
import { RunPage } from './pages/run';
import { DatacardsPage } from './pages/datacards';
import { DatacardPage } from './pages/datacard';
import { WebhooksPage } from './pages/webhooks';
import { NewWebhookPage, WebhookPage } from './pages/webhook';

const NAV = [
  { to: '/connectors', label: 'Connectors' },
  { to: '/tasks', label: 'Tasks' },
  { to: '/runs', label: 'Runs' },
  { to: '/datacards', label: 'Datacards' },
  { to: '/webhooks', label: 'Webhooks' },
];

function Shell() {
  const { me, signOut } = useSession();
  const location = useLocation();
  const [opened, { toggle }] = useDisclosure();
  if (!me) return <SignInPage />;
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700} component={Link} to="/tasks">
              scim-import
            </Text>
          </Group>
          <Group gap="xs">
            <Text size="sm" data-testid="signed-in-as">
              {me.name}
            </Text>
            <Badge color={me.scope === 'admin' ? 'blue' : 'gray'} data-testid="scope">
              {me.scope === 'admin' ? 'admin' : 'read-only'}
            </Badge>
            <Button size="xs" variant="default" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {NAV.map((n) => (
          <NavLink key={n.to} component={Link} to={n.to} label={n.label} active={location.pathname.startsWith(n.to)} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<Navigate to="/tasks" replace />} />
          <Route path="/connectors" element={<ConnectorsPage />} />
          <Route path="/connectors/new" element={<ConnectorPage />} />
          <Route path="/connectors/:id" element={<ConnectorPage />} />
          <Route path="/tasks" element={<TasksPage />} />
          <Route path="/tasks/new" element={<TaskFormPage />} />
          <Route path="/tasks/:id" element={<TaskPage />} />
          <Route path="/tasks/:id/edit" element={<TaskFormPage />} />
          <Route path="/runs" element={<RunsPage />} />
          <Route path="/runs/:id" element={<RunPage />} />
          <Route path="/datacards" element={<DatacardsPage />} />
          <Route path="/datacards/:id" element={<DatacardPage />} />
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="/webhooks/new" element={<NewWebhookPage />} />
          <Route path="/webhooks/:id" element={<WebhookPage />} />
          <Route path="*" element={<Text>Page not found.</Text>} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}
