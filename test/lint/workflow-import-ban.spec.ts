/**
 * The ESLint guard that keeps workflows/ deterministic (docs/design.md, Layout): workflow files may
 * import @temporalio/workflow and, type-only, the contracts in libs; never Node builtins, the
 * database stack or libs/persistence. Lints snippets through the real eslint.config.mjs.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const BAN_RULE = '@typescript-eslint/no-restricted-imports';

interface LintMessage {
  ruleId: string | null;
  severity: 1 | 2;
  message: string;
  fatal: boolean;
}

const WORKFLOW_FILE = 'workflows/bad.workflow.ts';
const LIB_FILE = 'libs/import/src/not-a-workflow.ts';

const snippets = {
  typeorm: { filePath: WORKFLOW_FILE, code: "import { DataSource } from 'typeorm';\n\nexport const source = DataSource;\n" },
  nodeFs: { filePath: WORKFLOW_FILE, code: "import { readFileSync } from 'node:fs';\n\nexport const read = readFileSync;\n" },
  bareCrypto: { filePath: WORKFLOW_FILE, code: "import { randomUUID } from 'crypto';\n\nexport const id = randomUUID;\n" },
  persistence: {
    filePath: WORKFLOW_FILE,
    code: "import { createDataSource } from '@app/persistence';\n\nexport const create = createDataSource;\n",
  },
  persistenceTypeOnly: {
    filePath: WORKFLOW_FILE,
    code: "import type { DataSourceOptions } from '@app/persistence';\n\nexport type Options = DataSourceOptions;\n",
  },
  persistenceRelative: {
    filePath: WORKFLOW_FILE,
    code: "import type { Entity } from '../libs/persistence/src/entities';\n\nexport type Row = Entity;\n",
  },
  nestjs: { filePath: WORKFLOW_FILE, code: "import { Injectable } from '@nestjs/common';\n\nexport const decorator = Injectable;\n" },
  temporalClient: { filePath: WORKFLOW_FILE, code: "import { Client } from '@temporalio/client';\n\nexport const client = Client;\n" },
  contractsValue: {
    filePath: WORKFLOW_FILE,
    code: "import { ImportTaskInput } from '../libs/temporal/src/contracts';\n\nexport const input = ImportTaskInput;\n",
  },
  contractsType: {
    filePath: WORKFLOW_FILE,
    code: "import type { ImportTaskInput } from '../libs/temporal/src/contracts';\n\nexport type Input = ImportTaskInput;\n",
  },
  appTemporalType: { filePath: WORKFLOW_FILE, code: "import type { RunPlan } from '@app/temporal';\n\nexport type Plan = RunPlan;\n" },
  workflowSdk: { filePath: WORKFLOW_FILE, code: "import { sleep } from '@temporalio/workflow';\n\nexport const pause = sleep;\n" },
  workflowTest: {
    filePath: 'workflows/bad.workflow.spec.ts',
    code: "import { TestWorkflowEnvironment } from '@temporalio/testing';\n\nexport const env = TestWorkflowEnvironment;\n",
  },
  typeormInLib: { filePath: LIB_FILE, code: "import { DataSource } from 'typeorm';\n\nexport const source = DataSource;\n" },
};
type SnippetName = keyof typeof snippets;

let results: Record<SnippetName, LintMessage[]>;

beforeAll(() => {
  const names = Object.keys(snippets) as SnippetName[];
  const output = execFileSync(process.execPath, [resolve(__dirname, 'lint-snippets.mjs')], {
    cwd: ROOT,
    input: JSON.stringify({ cwd: ROOT, snippets: names.map((name) => snippets[name]) }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  const parsed = JSON.parse(output) as Array<{ messages: LintMessage[] }>;
  results = Object.fromEntries(names.map((name, i) => [name, parsed[i].messages])) as Record<SnippetName, LintMessage[]>;
});

const banErrors = (name: SnippetName) => results[name].filter((m) => m.ruleId === BAN_RULE && m.severity === 2);

describe('workflow import ban (eslint.config.mjs)', () => {
  it('lints every snippet (no parse errors, none ignored), so "not flagged" below means allowed', () => {
    for (const messages of Object.values(results)) {
      expect(messages.filter((m) => m.fatal || m.ruleId === null)).toEqual([]);
    }
  });

  it.each<SnippetName>(['typeorm', 'nodeFs', 'bareCrypto', 'persistence', 'nestjs', 'temporalClient'])(
    'rejects %s in a workflow file',
    (name) => {
      expect(banErrors(name)).toHaveLength(1);
    },
  );

  it('rejects libs/persistence even as a type-only import', () => {
    expect(banErrors('persistenceTypeOnly')).toHaveLength(1);
    expect(banErrors('persistenceRelative')).toHaveLength(1);
  });

  it('rejects a value import from libs but accepts import type', () => {
    expect(banErrors('contractsValue')).toHaveLength(1);
    expect(results.contractsType).toEqual([]);
    expect(results.appTemporalType).toEqual([]);
  });

  it('accepts @temporalio/workflow', () => {
    expect(results.workflowSdk).toEqual([]);
  });

  it('does not apply the ban outside workflows/ or to workflow tests', () => {
    expect(results.typeormInLib.filter((m) => m.ruleId === BAN_RULE)).toEqual([]);
    expect(results.workflowTest.filter((m) => m.ruleId === BAN_RULE)).toEqual([]);
  });
});
