import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Anchor, Badge, Button, Group, List, Loader, Modal, Stack, Text, Title, type ButtonProps } from '@mantine/core';
import { ApiError } from '../api/client';
import { inWords, runDuration, STATUS_COLORS } from '../format';
import { Link } from 'react-router';
import type { Task } from '../api/client';

/** A status in words; `data-status` keeps the API's value for scripts and tests. */
export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    // never cut short in a narrow table column
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light" miw="max-content" data-testid={testId ?? 'status'} data-status={status}>
      {inWords(status)}
    </Badge>
  );
}

export function PageHeader({ title, actions }: { title: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="nowrap">
      <Title order={2}>{title}</Title>
      {actions && <Group gap="xs">{actions}</Group>}
    </Group>
  );
}

/**
 * An error from the API: its detail and, when present, every offending field. A save refused
 * because someone else changed the resource since it was read (412) says so instead, with a
 * reload (`onReload`, else the page).
 */
export function ProblemAlert({ error, title, onReload }: { error: unknown; title?: string; onReload?: () => void }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  if (apiError?.staleVersion) return <StaleVersionAlert onReload={onReload} />;
  return (
    <Alert color="red" title={title ?? (apiError ? `${apiError.status} ${apiError.problem.title}` : 'Error')} role="alert" mb="md">
      <Text size="sm">{error instanceof Error ? error.message : String(error)}</Text>
      {apiError && apiError.fieldErrors.length > 0 && (
        <List size="sm" mt="xs">
          {apiError.fieldErrors.map((e, i) => (
            <List.Item key={i}>
              <code>{e.field}</code>: {e.message}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

/**
 * A save refused because the resource changed since it was read (412). It scrolls itself into
 * view: Save sits at the end of a long form, this message at its top, and nothing else changes.
 */
function StaleVersionAlert({ onReload }: { onReload?: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // a block, not an expression: Chromium's scrollIntoView returns a promise, which React would take for a cleanup
    void ref.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  return (
    // clear of the fixed header (56 px) once scrolled to
    <Alert
      ref={ref}
      color="orange"
      title="Changed by someone else"
      role="alert"
      mb="md"
      data-testid="stale-version"
      style={{ scrollMarginTop: 72 }}
    >
      <Text size="sm">
        Nothing was saved: since you opened this page, someone else saved another version. Reload to see it, then make your change again.
      </Text>
      <Button size="xs" mt="xs" onClick={onReload ?? (() => window.location.reload())}>
        Reload
      </Button>
    </Alert>
  );
}

export function Loading() {
  return (
    <Group justify="center" p="xl">
      <Loader aria-label="Loading" />
    </Group>
  );
}

/** The server's message for one field (exact dotted path), for a form input's `error`. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const messages = error.fieldErrors.filter((e) => e.field === field).map((e) => e.message);
  return messages.length ? messages.join('; ') : undefined;
}

/** A button that asks before it acts (delete, reject, cancel). */
export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  ...props
}: { label: string; title: string; message: ReactNode; confirmLabel?: string; onConfirm: () => Promise<unknown> | void } & ButtonProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <Button {...props} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} centered>
        <Stack>
          <div>{message}</div>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Keep
            </Button>
            <Button
              color={props.color ?? 'red'}
              loading={busy}
              data-autofocus
              onClick={async () => {
                setBusy(true);
                try {
                  await onConfirm();
                  setOpen(false);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel ?? label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** A task's last run in a list: its status (a link to the run) and how long it took, or "never". */
export function LastRunCell({ task }: { task: Pick<Task, 'name' | 'lastRun'> }) {
  if (!task.lastRun) return <>never</>;
  return (
    <Group gap={6}>
      <Anchor component={Link} to={`/runs/${task.lastRun.id}`} aria-label={`Last run of ${task.name}`}>
        <StatusBadge status={task.lastRun.status} />
      </Anchor>
      <Text size="xs">{runDuration(task.lastRun)}</Text>
    </Group>
  );
}

/** A form's submit button, disabled while fields are missing, with the missing ones named beside it. */
export function SubmitBar({ label, saving, missing }: { label: string; saving: boolean; missing: string[] }) {
  return (
    <Group>
      <Button type="submit" loading={saving} disabled={missing.length > 0}>
        {label}
      </Button>
      {missing.length > 0 && (
        <Text size="sm" c="dimmed" data-testid="missing">
          Missing: {missing.join(', ')}
        </Text>
      )}
    </Group>
  );
}
