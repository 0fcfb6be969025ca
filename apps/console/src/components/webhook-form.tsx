import { useEffect, useState } from 'react';
import { Checkbox, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import type { CreateWebhookBody, Webhook, WebhookEventType } from '../api/client';
import { useTasks } from '../api/queries';
import { EVENT_TYPES } from '../format';
import { useSession } from '../session';
import { fieldError, ProblemAlert, SubmitBar } from './common';

interface WebhookFields {
  url: string;
  events: WebhookEventType[];
  /** '' for every task */
  taskId: string;
  enabled: boolean;
}

const fieldsOf = (w?: Webhook): WebhookFields => ({
  url: w?.url ?? '',
  events: w?.events ?? ['run.succeeded', 'run.failed'],
  taskId: w?.taskId ?? '',
  enabled: w?.enabled ?? true,
});

/**
 * The subscription form: URL, event types, task filter and (on create) enabled. What the API
 * refuses shows next to its field; `error` is the last save's.
 */
export function WebhookForm({
  webhook,
  saving,
  error,
  onSave,
}: {
  /** the subscription being edited; none: a new one */
  webhook?: Webhook;
  saving: boolean;
  error: unknown;
  onSave: (body: CreateWebhookBody) => void;
}) {
  const { canWrite } = useSession();
  const tasks = useTasks();
  const [form, setForm] = useState<WebhookFields>(fieldsOf(webhook));
  useEffect(() => {
    if (webhook) setForm(fieldsOf(webhook));
  }, [webhook]);
  const set = <K extends keyof WebhookFields>(key: K, value: WebhookFields[K]) => setForm((f) => ({ ...f, [key]: value }));

  const missing = [!form.url.trim() && 'URL', form.events.length === 0 && 'at least one event'].filter(Boolean) as string[];
  const body = (): CreateWebhookBody => ({
    url: form.url.trim(),
    // in the order a run meets them, whatever order they were ticked in
    events: EVENT_TYPES.map((e) => e.type).filter((t) => form.events.includes(t)),
    taskId: form.taskId || null,
    ...(webhook ? {} : { enabled: form.enabled }),
  });

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (missing.length === 0) onSave(body());
      }}
      noValidate
    >
      <fieldset disabled={!canWrite} style={{ border: 0, padding: 0, margin: 0 }}>
        <Stack maw={720}>
          <ProblemAlert error={error} title="Not saved" />
          <TextInput
            label="URL"
            description="http or https; the server POSTs each event here"
            placeholder="https://hooks.example.com/scim-import"
            required
            value={form.url}
            onChange={(e) => set('url', e.currentTarget.value)}
            error={fieldError(error, 'url')}
          />
          <Checkbox.Group
            label="Events"
            description="which moments of a run are sent"
            required
            value={form.events}
            onChange={(v) => set('events', v)}
            error={fieldError(error, 'events')}
          >
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing={6} mt="xs">
              {EVENT_TYPES.map((e) => (
                <Checkbox key={e.type} value={e.type} label={e.words[0].toUpperCase() + e.words.slice(1)} description={e.type} />
              ))}
            </SimpleGrid>
          </Checkbox.Group>
          <Select
            label="Task"
            description="only this task's runs; empty: every task"
            placeholder="every task"
            clearable
            searchable
            data={(tasks.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }))}
            value={form.taskId || null}
            onChange={(v) => set('taskId', v ?? '')}
            error={fieldError(error, 'taskId')}
          />
          {!webhook && (
            <Checkbox
              label="Enabled (unchecked: no event is sent until it is enabled)"
              checked={form.enabled}
              onChange={(e) => set('enabled', e.currentTarget.checked)}
            />
          )}
          {canWrite && <SubmitBar label={webhook ? 'Save' : 'Create webhook'} saving={saving} missing={missing} />}
        </Stack>
      </fieldset>
    </form>
  );
}
