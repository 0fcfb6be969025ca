import { useState } from 'react';
import { Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { ApiError } from '../api/client';
import { useSession } from '../session';

export function SignInPage() {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Center mih="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={420} component="main">
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(undefined);
            try {
              await signIn(token.trim());
            } catch (err) {
              setError(
                err instanceof ApiError && err.status === 401
                  ? 'This token is unknown or revoked.'
                  : err instanceof Error
                    ? err.message
                    : String(err),
              );
            } finally {
              setBusy(false);
            }
          }}
        >
          <Stack>
            <Title order={2}>scim-import</Title>
            <Text size="sm" c="dimmed">
              Sign in with an API token. <code>npm run dev</code> prints an admin token;{' '}
              <code>npm run token -- create --name me --scope read</code> makes a read-only one. The token stays in this browser tab only.
            </Text>
            <PasswordInput
              label="API token"
              placeholder="sit_…"
              value={token}
              onChange={(e) => setToken(e.currentTarget.value)}
              error={error}
              data-autofocus
              autoFocus
              required
            />
            <Button type="submit" loading={busy} disabled={!token.trim()}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
