import { useEffect, useState } from 'react';
import { Badge, Button, Code, Group, Paper, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useLocation, useNavigate, useParams } from 'react-router';
import { useDeleteWebhook, useEnableWebhook, useRotateWebhookSecret, useSaveWebhook, useWebhook } from '../api/queries';
import { ConfirmButton, Loading, PageHeader, ProblemAlert } from '../components/common';
import { OneTimeSecret } from '../components/one-time-secret';
import { WebhookDeliveries } from '../components/webhook-deliveries';
import { WebhookForm } from '../components/webhook-form';
import { formatTime } from '../format';
import { useSession } from '../session';

/** What the create form hands the subscription's page: the secret, to show once. */
interface CreatedState {
  secret?: string;
}

export function NewWebhookPage() {
  const navigate = useNavigate();
  const save = useSaveWebhook(undefined);
  return (
    <>
      <PageHeader title="New webhook" />
      <WebhookForm
        saving={save.isPending}
        error={save.error}
        onSave={(body) =>
          save.mutate(body, {
            onSuccess: (w) => {
              notifications.show({ color: 'green', message: 'Webhook created' });
              void navigate(`/webhooks/${w.id}`, { state: { secret: 'secret' in w ? w.secret : undefined } satisfies CreatedState });
            },
          })
        }
      />
    </>
  );
}

/** One subscription: its secret once (after create or rotate), its settings, actions and deliveries. */
export function WebhookPage() {
  const { id } = useParams() as { id: string };
  // a fresh page per subscription: a secret shown for one is never shown on another
  return <WebhookDetail key={id} id={id} />;
}

function WebhookDetail({ id }: { id: string }) {
  const navigate = useNavigate();
  const location = useLocation();
  const { canWrite } = useSession();
  const webhook = useWebhook(id);
  const save = useSaveWebhook(id);
  const enable = useEnableWebhook(id);
  const rotate = useRotateWebhookSecret(id);
  const remove = useDeleteWebhook(id);

  // the secret the create form handed over lives in this page's state only: the navigation entry
  // is replaced without it, so neither Back nor a reload shows it again
  const [createdSecret, setCreatedSecret] = useState(() => (location.state as CreatedState | null)?.secret);
  useEffect(() => {
    if ((location.state as CreatedState | null)?.secret) void navigate(location.pathname, { replace: true, state: null });
  }, [location.state, location.pathname, navigate]);
  const rotatedSecret = rotate.data?.secret;

  if (webhook.isPending) return <Loading />;
  if (webhook.error) return <ProblemAlert error={webhook.error} />;
  const w = webhook.data;

  return (
    <>
      <PageHeader
        title="Webhook"
        actions={
          canWrite && (
            <>
              <Button variant="default" onClick={() => enable.mutate(!w.enabled)} loading={enable.isPending}>
                {w.enabled ? 'Disable' : 'Enable'}
              </Button>
              <ConfirmButton
                label="Rotate secret"
                variant="default"
                color="blue"
                title="Rotate the signing secret"
                message="A new secret replaces the current one at once: the receiver must be given the new one, or it will reject the next events."
                onConfirm={() =>
                  rotate
                    .mutateAsync()
                    .then(() => setCreatedSecret(undefined))
                    .catch(() => undefined)
                }
              />
              <ConfirmButton
                label="Delete"
                variant="light"
                color="red"
                title="Delete webhook"
                message="Delete this webhook and its delivery history? Deliveries under way stop."
                onConfirm={() =>
                  remove
                    .mutateAsync()
                    .then(() => navigate('/webhooks'))
                    .catch(() => undefined)
                }
              />
            </>
          )
        }
      />
      <ProblemAlert error={enable.error ?? rotate.error ?? remove.error} />
      {rotatedSecret ? (
        <OneTimeSecret title="New signing secret" secret={rotatedSecret} onDismiss={() => rotate.reset()} />
      ) : (
        createdSecret && <OneTimeSecret title="Webhook created" secret={createdSecret} onDismiss={() => setCreatedSecret(undefined)} />
      )}
      <Paper withBorder p="sm" mb="md">
        <Group gap="xs">
          <Code style={{ wordBreak: 'break-all' }}>{w.url}</Code>
          <Badge
            variant="light"
            color={w.enabled ? 'green' : 'gray'}
            data-testid="webhook-state"
            data-state={w.enabled ? 'enabled' : 'disabled'}
          >
            {w.enabled ? 'enabled' : 'disabled'}
          </Badge>
        </Group>
        <Text size="xs" c="dimmed" mt={4}>
          created {formatTime(w.createdAt)} · changed {formatTime(w.updatedAt)} · the secret is never shown again; Rotate secret makes a new
          one
        </Text>
      </Paper>
      <Title order={4} mb="xs">
        Settings
      </Title>
      <WebhookForm
        webhook={w}
        saving={save.isPending}
        error={save.error}
        onSave={(body) => save.mutate(body, { onSuccess: () => notifications.show({ color: 'green', message: 'Webhook saved' }) })}
      />
      <WebhookDeliveries webhookId={id} />
    </>
  );
}
