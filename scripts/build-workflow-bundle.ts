/** Prebuilds the workflow bundle for production workers (`--workflow-bundle dist/workflow-bundle.js`). */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const { code } = await bundleWorkflowCode({ workflowsPath: join(root, 'workflows', 'index.ts') });
  mkdirSync(join(root, 'dist'), { recursive: true });
  const out = join(root, 'dist', 'workflow-bundle.js');
  writeFileSync(out, code);
  console.log(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
