// ESLint flat config. Type-aware for TypeScript (through the project service and
// tsconfig.json). Rules that catch real defects are errors; rules about taste are off or
// warnings, because several people write this code at once and the build should fail only
// for things worth fixing. Formatting belongs to Prettier (.prettierrc.json).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Bare builtin names (`fs`, `fs/promises`, `crypto`, ...); `node:` specifiers are matched separately.
const nodeBuiltins = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))];

/**
 * Imports that cannot appear in workflow code. The workflow sandbox must stay deterministic and
 * free of I/O, and the workflow bundler rejects Node builtins and the non-workflow Temporal
 * packages anyway; failing in the editor is cheaper than failing a deploy.
 * Matching is by regular expression on the import specifier.
 */
const workflowRestrictedImports = [
  {
    regex: `^(node:.*|(${nodeBuiltins.map(escapeRegExp).join('|')})(/.*)?)$`,
    message: 'Workflow code runs in a deterministic sandbox without Node builtins; do I/O in an activity.',
  },
  {
    regex: '^@temporalio/(client|worker|activity|testing)(/.*)?$',
    message: 'Workflow code may import only @temporalio/workflow (and @temporalio/common) from the Temporal SDK.',
  },
  {
    regex: '^(@nestjs/.*|typeorm(/.*)?|pg(-[^/]+)?(/.*)?|class-validator(/.*)?|class-transformer(/.*)?|undici(/.*)?|reflect-metadata)$',
    message: 'Workflow code must not depend on Nest, TypeORM, the database driver, validation or HTTP libraries; call an activity.',
  },
  {
    // no exception for `import type`: persistence entities are not part of the workflow contract
    regex: '^(@app/persistence(/.*)?|(.*/)?libs/persistence(/.*)?)$',
    message: 'Workflow code must not reach libs/persistence; pass references (run id, counts, cursors) through activities.',
  },
  {
    // type-only imports are erased at compile time, so the contracts in libs/temporal can be shared
    regex: '^(@app/(?!persistence(/|$)).+|((\\.\\./)+|\\./)?libs/(?!persistence(/|$)).+)$',
    allowTypeImports: true,
    message: 'Workflow code may use libs only through `import type` (e.g. the contracts in libs/temporal).',
  },
];

export default defineConfig(
  {
    ignores: ['dist/', '.tools/', '.data/', 'node_modules/', 'coverage/', 'bench/results/', 'apps/console/src/api/schema.d.ts'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
  },

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,

  {
    // every file, TypeScript or not
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },

  {
    // the console (apps/console, .tsx) is type-checked through its own tsconfig, found by the project service
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        // Nest's dependency injection reads constructor parameter types from decorator
        // metadata, which needs a value import. With these set, consistent-type-imports leaves
        // decorated classes alone instead of "fixing" those imports into `import type`.
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    rules: {
      // correctness: these stay errors
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],

      // reported, not blocking
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/require-await': 'warn',
      // redundant casts are harmless and `eslint --fix` removes them
      '@typescript-eslint/no-unnecessary-type-assertion': 'warn',

      // Off: noisy around untyped or loosely typed libraries (scimmy, JSON payloads, pg rows)
      // and in tests, with little defect-finding value once the above are on.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // jest's expect(obj.method) and Nest's method references trip it constantly
      '@typescript-eslint/unbound-method': 'off',
      // declaration merging and `declare global` are used on purpose
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },

  // Workflow code: deterministic, sandboxed, bundled separately (DESIGN.md section 2).
  {
    files: ['workflows/**/*.ts'],
    // workflow tests run in Node under jest (test environment, worker, bundler), not in the sandbox
    ignores: ['workflows/**/*.spec.ts', 'workflows/**/*.e2e-spec.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: workflowRestrictedImports }],
    },
  },

  // Tests: mocks and fixtures legitimately use `any`, and async callbacks need not await.
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Plain JavaScript (config files): no type information; CommonJS unless .mjs.
  {
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        __filename: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
