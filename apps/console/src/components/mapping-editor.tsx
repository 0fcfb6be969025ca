import { ActionIcon, Button, Checkbox, Fieldset, Group, SegmentedControl, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import type { Folder, Template } from '../api/client';
import { parseTransforms, suggestMapping, type AttributeRow, type MappingForm, type Section } from '../pages/task-form-model';

interface Props {
  section: Section;
  title: string;
  value: MappingForm;
  onChange: (m: MappingForm) => void;
  templates: Template[];
  folders: Folder[];
  /** server field error for a path under this section (`identity.attributes[0].local`) */
  error: (path: string) => string | undefined;
}

function transformError(text: string): string | undefined {
  try {
    parseTransforms(text);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** One mapping: template and folder, unique id, attribute rows, memberships and removal settings. */
export function MappingEditor({ section, title, value: m, onChange, templates, folders, error }: Props) {
  const template = templates.find((t) => t.code === m.templateCode);
  const attrOptions = (template?.attributes ?? []).map((a) => ({
    value: a.code,
    label: `${a.name} (${a.code}, ${a.type}${a.multiple ? ', multiple' : ''})`,
  }));
  const plainAttrOptions = attrOptions.filter((o) => template?.attributes.find((a) => a.code === o.value)?.type !== 'reference');
  const referenceOptions = attrOptions.filter((o) => template?.attributes.find((a) => a.code === o.value)?.type === 'reference');
  const folderOptions = folders
    .filter((f) => !m.templateCode || f.templateCode === m.templateCode)
    .map((f) => ({ value: f.code, label: `${f.name} (${f.code})` }));
  const set = (patch: Partial<MappingForm>) => onChange({ ...m, ...patch });
  const setRow = (i: number, patch: Partial<AttributeRow>) =>
    set({ attributes: m.attributes.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const p = (path: string) => error(`${section}.${path}`);
  return (
    <Fieldset legend={title} data-section={section}>
      <Stack>
        {error(section) && (
          <Text c="red" size="sm" role="alert">
            {error(section)}
          </Text>
        )}
        {section === 'generic' && (
          <Group grow>
            <TextInput
              label="Resource path"
              placeholder="/Devices"
              required
              value={m.resourcePath}
              onChange={(e) => set({ resourcePath: e.currentTarget.value })}
              error={p('resourcePath')}
            />
            <TextInput
              label="Resource filter (SCIM)"
              value={m.filter}
              onChange={(e) => set({ filter: e.currentTarget.value })}
              error={p('filter')}
            />
          </Group>
        )}
        <Group grow align="flex-start">
          <Select
            label="Template"
            required
            searchable
            data={templates.map((t) => ({ value: t.code, label: `${t.name} (${t.code})` }))}
            value={m.templateCode || null}
            onChange={(v) => {
              const next = { ...m, templateCode: v ?? '', folderCode: folders.find((f) => f.templateCode === v)?.code ?? '' };
              const tpl = templates.find((t) => t.code === v);
              onChange(tpl && m.attributes.length === 0 ? suggestMapping(section, tpl, next) : next);
            }}
            error={p('templateCode')}
          />
          <Select
            label="Folder"
            required
            searchable
            data={folderOptions}
            value={m.folderCode || null}
            onChange={(v) => set({ folderCode: v ?? '' })}
            error={p('folderCode')}
            disabled={!m.templateCode}
          />
        </Group>
        <Group grow align="flex-start">
          <TextInput
            label="Unique identifier: external"
            required
            value={m.uniqueExternal}
            onChange={(e) => set({ uniqueExternal: e.currentTarget.value })}
            error={p('unique.external')}
          />
          <Select
            label="Unique identifier: local attribute"
            required
            searchable
            data={plainAttrOptions}
            value={m.uniqueLocal || null}
            onChange={(v) => set({ uniqueLocal: v ?? '' })}
            error={p('unique.local')}
          />
        </Group>
        <div>
          <Group justify="space-between" mb={4}>
            <Text fw={500} size="sm">
              Attribute mappings
            </Text>
            {template && (
              <Button size="xs" variant="subtle" onClick={() => onChange(suggestMapping(section, template, m))}>
                Suggest from template
              </Button>
            )}
          </Group>
          <Table aria-label={`${title}: attribute mappings`} withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={130}>Source</Table.Th>
                <Table.Th>External expression / constant</Table.Th>
                <Table.Th w={260}>Local attribute</Table.Th>
                <Table.Th w={200}>Transforms</Table.Th>
                <Table.Th w={40} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {m.attributes.map((row, i) => (
                <Table.Tr key={i} data-row={i}>
                  <Table.Td>
                    <SegmentedControl
                      size="xs"
                      aria-label={`Row ${i + 1} source`}
                      value={row.source}
                      onChange={(v) => setRow(i, { source: v })}
                      data={[
                        { value: 'external', label: 'SCIM' },
                        { value: 'constant', label: 'Fixed' },
                      ]}
                    />
                  </Table.Td>
                  <Table.Td>
                    {row.source === 'external' ? (
                      <TextInput
                        aria-label={`Row ${i + 1} external expression`}
                        placeholder='emails[type eq "work"].value'
                        value={row.external}
                        onChange={(e) => setRow(i, { external: e.currentTarget.value })}
                        error={p(`attributes[${i}].external`) ?? p(`attributes[${i}]`)}
                      />
                    ) : (
                      <TextInput
                        aria-label={`Row ${i + 1} constant`}
                        value={row.constant}
                        onChange={(e) => setRow(i, { constant: e.currentTarget.value })}
                        error={p(`attributes[${i}]`)}
                      />
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label={`Row ${i + 1} local attribute`}
                      searchable
                      data={plainAttrOptions}
                      value={row.local || null}
                      onChange={(v) => setRow(i, { local: v ?? '' })}
                      error={p(`attributes[${i}].local`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <TextInput
                      aria-label={`Row ${i + 1} transforms`}
                      placeholder="trim | lower"
                      value={row.transforms}
                      onChange={(e) => setRow(i, { transforms: e.currentTarget.value })}
                      error={transformError(row.transforms) ?? p(`attributes[${i}].transforms`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={`Remove row ${i + 1}`}
                      onClick={() => set({ attributes: m.attributes.filter((_, j) => j !== i) })}
                    >
                      ✕
                    </ActionIcon>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Button
            size="xs"
            variant="light"
            mt="xs"
            onClick={() =>
              set({ attributes: [...m.attributes, { source: 'external', external: '', constant: '', local: '', transforms: '' }] })
            }
          >
            Add attribute
          </Button>
          <Text size="xs" c="dimmed" mt={4}>
            Transforms apply in order: <code>lower</code>, <code>upper</code>, <code>trim</code>, <code>join:SEPARATOR</code>,{' '}
            <code>default:VALUE</code>, separated by <code>|</code>.
          </Text>
        </div>
        {section === 'access' && (
          <Select
            label="Memberships go to (reference attribute)"
            clearable
            data={referenceOptions}
            value={m.membersLocal || null}
            onChange={(v) => set({ membersLocal: v ?? '' })}
            error={p('members.local') ?? p('members')}
          />
        )}
        <Checkbox
          label="Mark records removed when they disappear from the source (full runs)"
          checked={m.removalEnabled}
          onChange={(e) => set({ removalEnabled: e.currentTarget.checked })}
        />
        {m.removalEnabled && (
          <Group grow align="flex-start">
            <Select
              label="Status attribute"
              required
              searchable
              data={plainAttrOptions}
              value={m.statusAttribute || null}
              onChange={(v) => set({ statusAttribute: v ?? '' })}
              error={p('removal.statusAttribute')}
            />
            <TextInput
              label="Removed value"
              required
              value={m.removedValue}
              onChange={(e) => set({ removedValue: e.currentTarget.value })}
              error={p('removal.removedValue')}
            />
            <TextInput
              label="Reactivate value"
              description="empty: a removed record stays removed"
              value={m.reactivateValue}
              onChange={(e) => set({ reactivateValue: e.currentTarget.value })}
              error={p('removal.reactivateValue')}
            />
          </Group>
        )}
      </Stack>
    </Fieldset>
  );
}
