import { useEffect, useState } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  List,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError, etagOf } from '../api/client';
import { useConnectors, useFolders, useSaveTask, useTask, useTemplates } from '../api/queries';
import { fieldError, Loading, PageHeader, ProblemAlert } from '../components/common';
import { MappingEditor } from '../components/mapping-editor';
import { cronInWords } from '../format';
import { useSession } from '../session';
import { bodyOf, emptyTask, formOf, missingFields, SECTION_TITLES, SECTIONS_OF, type MappingsType, type TaskForm } from './task-form-model';

const ZONES = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

export function TaskFormPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { canWrite } = useSession();
  const existing = useTask(id);
  const connectors = useConnectors();
  const templates = useTemplates();
  const folders = useFolders();
  // New task from a connector's page comes with that connector chosen
  const [form, setForm] = useState<TaskForm>(() => ({ ...emptyTask(), connectorId: params.get('connectorId') ?? '' }));
  // the version the form was filled from: a save changes only that one (If-Match)
  const [etag, setEtag] = useState<string>();
  useEffect(() => {
    if (!existing.data) return;
    setForm(formOf(existing.data));
    setEtag(etagOf(`/api/v1/tasks/${existing.data.id}`));
  }, [existing.data]);
  const set = <K extends keyof TaskForm>(key: K, value: TaskForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const save = useSaveTask(id);
  const saveForm = () =>
    save.mutate(
      { body: bodyOf(form), etag },
      {
        onSuccess: (t) => {
          notifications.show({ color: 'green', message: `Task "${t.name}" saved` });
          void navigate(`/tasks/${t.id}`);
        },
      },
    );

  if ((id && existing.isPending) || templates.isPending || folders.isPending || connectors.isPending) return <Loading />;
  const loadError = existing.error ?? templates.error ?? folders.error ?? connectors.error;
  if (loadError) return <ProblemAlert error={loadError} />;

  const err = save.error;
  const e = (path: string) => fieldError(err, path);
  const missing = missingFields(form);
  let transformProblem: string | undefined;
  try {
    bodyOf(form);
  } catch (x) {
    transformProblem = x instanceof Error ? x.message : String(x);
  }
  const templateList = templates.data?.items ?? [];
  const folderList = folders.data?.items ?? [];
  const failureTemplate = templateList.find((t) => t.code === form.failureTemplate);
  const sections = SECTIONS_OF[form.mappingsType];

  return (
    <>
      <PageHeader title={id ? `Edit task ${existing.data?.name ?? ''}` : 'New task'} />
      <form
        onSubmit={(ev) => {
          ev.preventDefault();
          if (missing.length === 0 && !transformProblem) saveForm();
        }}
        noValidate
      >
        <fieldset disabled={!canWrite} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack maw={1100}>
            {err && (
              <ProblemAlert
                error={err}
                title={err instanceof ApiError ? `Not saved: ${err.status} ${err.problem.title}` : 'Not saved'}
                onReload={() => void existing.refetch().then(() => save.reset())}
              />
            )}
            <Group grow align="flex-start">
              <TextInput
                label="Name"
                description={id ? 'immutable' : 'unique; cannot be changed later'}
                required
                disabled={!!id}
                value={form.name}
                onChange={(ev) => set('name', ev.currentTarget.value)}
                error={e('name')}
              />
              <Select
                label="Connector"
                required
                searchable
                data={(connectors.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
                value={form.connectorId || null}
                onChange={(v) => set('connectorId', v ?? '')}
                error={e('connectorId')}
              />
            </Group>
            <Group grow align="flex-start">
              <TextInput label="Usage" value="read" readOnly description="SCIM connectors only read" error={e('usage')} />
              <Select
                label="Type"
                required
                data={[
                  { value: 'full', label: 'Full: read everything, may remove' },
                  { value: 'incremental', label: 'Incremental: read changes, never removes' },
                ]}
                value={form.type}
                onChange={(v) => set('type', (v as TaskForm['type']) ?? 'full')}
                allowDeselect={false}
                error={e('type')}
              />
              <Select
                label="Mappings type"
                required
                data={[
                  { value: 'identityAndAccess', label: 'Identity and access (users + groups)' },
                  { value: 'identityOnly', label: 'Identity only (users)' },
                  { value: 'accessOnly', label: 'Access only (groups)' },
                  { value: 'generic', label: 'Generic resource' },
                ]}
                value={form.mappingsType}
                onChange={(v) => set('mappingsType', (v as MappingsType) ?? 'identityAndAccess')}
                allowDeselect={false}
                error={e('mappingsType')}
              />
            </Group>
            <Fieldset legend="Schedule">
              <Stack>
                <Group>
                  <SegmentedControl
                    aria-label="Schedule kind"
                    value={form.scheduleKind}
                    onChange={(v) => set('scheduleKind', v)}
                    data={[
                      { value: 'manual', label: 'Manual only' },
                      { value: 'every', label: 'Every N minutes' },
                      { value: 'cron', label: 'Cron' },
                    ]}
                  />
                  <Checkbox
                    label="Enabled (unchecked: schedule paused)"
                    checked={form.enabled}
                    onChange={(ev) => set('enabled', ev.currentTarget.checked)}
                  />
                </Group>
                {e('schedule') && (
                  <Text c="red" size="sm">
                    {e('schedule')}
                  </Text>
                )}
                {form.scheduleKind === 'every' && (
                  <NumberInput
                    label="Every N minutes"
                    required
                    min={1}
                    max={525600}
                    w={240}
                    value={form.everyMinutes}
                    onChange={(v) => set('everyMinutes', v === '' ? '' : Number(v))}
                    error={e('schedule.everyMinutes')}
                  />
                )}
                {form.scheduleKind === 'cron' && (
                  <Group grow align="flex-start">
                    <TextInput
                      label="Cron expression"
                      required
                      description={form.cron.trim() ? cronInWords(form.cron) : 'minute hour day-of-month month day-of-week'}
                      value={form.cron}
                      onChange={(ev) => set('cron', ev.currentTarget.value)}
                      error={e('schedule.cron')}
                    />
                    <Select
                      label="Timezone"
                      searchable
                      data={ZONES}
                      value={form.timezone}
                      onChange={(v) => set('timezone', v ?? 'UTC')}
                      error={e('schedule.timezone')}
                    />
                  </Group>
                )}
              </Stack>
            </Fieldset>
            <Fieldset legend="SCIM filters (checked by the server when saved)">
              <Group grow align="flex-start">
                {sections.includes('identity') && (
                  <TextInput
                    label="User filter"
                    placeholder="active eq true"
                    value={form.usersFilter}
                    onChange={(ev) => set('usersFilter', ev.currentTarget.value)}
                    error={e('filters.users')}
                  />
                )}
                {sections.includes('access') && (
                  <TextInput
                    label="Group filter"
                    placeholder='displayName sw "app-"'
                    value={form.groupsFilter}
                    onChange={(ev) => set('groupsFilter', ev.currentTarget.value)}
                    error={e('filters.groups')}
                  />
                )}
                {sections.includes('generic') && (
                  <Text size="sm" c="dimmed">
                    The generic resource filter is part of its mapping below.
                  </Text>
                )}
              </Group>
            </Fieldset>
            {sections.map((section) => (
              <MappingEditor
                key={section}
                section={section}
                title={SECTION_TITLES[section]}
                value={form[section]}
                onChange={(m) => set(section, m)}
                templates={templateList}
                folders={folderList}
                error={e}
              />
            ))}
            <Fieldset legend="Failure record (one datacard per failed run)">
              <Group grow align="flex-start">
                <Select
                  label="Failure template"
                  required
                  data={templateList.map((t) => ({ value: t.code, label: `${t.name} (${t.code})` }))}
                  value={form.failureTemplate || null}
                  onChange={(v) =>
                    setForm((f) => ({
                      ...f,
                      failureTemplate: v ?? '',
                      failureFolder: folderList.find((x) => x.templateCode === v)?.code ?? '',
                      failureAttribute: '',
                    }))
                  }
                  error={e('failure.templateCode')}
                />
                <Select
                  label="Failure folder"
                  required
                  data={folderList
                    .filter((x) => x.templateCode === form.failureTemplate)
                    .map((x) => ({ value: x.code, label: `${x.name} (${x.code})` }))}
                  value={form.failureFolder || null}
                  onChange={(v) => set('failureFolder', v ?? '')}
                  error={e('failure.folderCode')}
                />
                <Select
                  label="Failure attribute"
                  required
                  data={(failureTemplate?.attributes ?? [])
                    .filter((a) => a.type === 'string')
                    .map((a) => ({ value: a.code, label: `${a.name} (${a.code})` }))}
                  value={form.failureAttribute || null}
                  onChange={(v) => set('failureAttribute', v ?? '')}
                  error={e('failure.attributeCode')}
                />
              </Group>
            </Fieldset>
            <Fieldset legend="Cache and safety">
              <Group grow align="flex-start">
                <TextInput
                  label="Cache clear hours (UTC)"
                  description="comma-separated hours 0–23; an unchanged record is written again after each"
                  value={form.clearHours}
                  onChange={(ev) => set('clearHours', ev.currentTarget.value)}
                  error={e('cache.clearHoursUtc') ?? e('cache')}
                />
                <NumberInput
                  label="Max removals per mapping (%)"
                  description="above this, removals wait for approval"
                  min={0}
                  max={100}
                  value={form.maxRemovalPercent}
                  onChange={(v) => set('maxRemovalPercent', v === '' ? '' : Number(v))}
                  error={e('safety.maxRemovalPercent')}
                />
                <NumberInput
                  label="Max removals per run"
                  description="empty: no absolute limit"
                  min={0}
                  value={form.maxRemovals}
                  onChange={(v) => set('maxRemovals', v === '' ? '' : Number(v))}
                  error={e('safety.maxRemovals')}
                />
              </Group>
            </Fieldset>
            {canWrite && (
              <Group align="flex-start">
                <Button type="submit" loading={save.isPending} disabled={missing.length > 0 || !!transformProblem}>
                  {id ? 'Save task' : 'Create task'}
                </Button>
                <Button variant="default" onClick={() => navigate(id ? `/tasks/${id}` : '/tasks')}>
                  Cancel
                </Button>
                {(missing.length > 0 || transformProblem) && (
                  <Alert color="yellow" title="Save is disabled until these are filled in" data-testid="missing" p="xs">
                    <List size="sm">
                      {missing.map((m) => (
                        <List.Item key={m}>{m}</List.Item>
                      ))}
                      {transformProblem && <List.Item>{transformProblem}</List.Item>}
                    </List>
                  </Alert>
                )}
              </Group>
            )}
          </Stack>
        </fieldset>
      </form>
    </>
  );
}
