// Lints in-memory snippets with the project's ESLint configuration (eslint.config.mjs) and
// prints the messages as JSON. Input on stdin: { "cwd": string, "snippets": [{ "filePath", "code" }] }.
//
// It runs in its own Node process because ESLint loads its config with a dynamic import(),
// which Jest's module sandbox supports only under --experimental-vm-modules.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

let raw = '';
for await (const chunk of process.stdin) raw += chunk;
const { cwd, snippets } = JSON.parse(raw);

const eslint = new ESLint({
  cwd,
  // Snippets are not files on disk, so the TypeScript project service cannot place them in
  // tsconfig.json's program. The import rules under test need no type information.
  overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
});

const results = [];
for (const { filePath, code } of snippets) {
  const [result] = await eslint.lintText(code, { filePath });
  results.push({
    filePath,
    messages: result.messages.map(({ ruleId, severity, message, fatal }) => ({ ruleId, severity, message, fatal: fatal === true })),
  });
}
process.stdout.write(JSON.stringify(results));
