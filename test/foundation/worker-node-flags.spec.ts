/**
 * The worker's memory stays flat only if it runs with its node flags wherever it is started:
 * package.json and docker-compose.yml cannot import WORKER_NODE_FLAGS, so they are checked here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_NODE_FLAGS } from '../../apps/worker/src/node-flags';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('worker node flags', () => {
  it('cap the old space', () => {
    expect(WORKER_NODE_FLAGS.some((f) => /^--max-old-space-size=\d+$/.test(f))).toBe(true);
  });

  it('are used by npm run start:worker', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:worker']).toBe(['node', ...WORKER_NODE_FLAGS, 'dist/apps/worker/src/main.js'].join(' '));
  });

  it('are used by the docker-compose worker', () => {
    const command = /\n {2}worker:[\s\S]*?\n {4}command: (\[.*\])/.exec(read('docker-compose.yml'));
    expect(command).not.toBeNull();
    expect(JSON.parse((command as RegExpExecArray)[1].replace(/'/g, '"'))).toEqual(['node', ...WORKER_NODE_FLAGS, 'dist/apps/worker/src/main.js']);
  });
});
