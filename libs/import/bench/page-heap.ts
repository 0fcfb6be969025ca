/**
 * What one page costs the worker's heap on its way from the socket to the staging INSERT: reads a
 * generated page through the real bounded reader, the real ListResponse parser, the real split of
 * members and the stable hash a group's mapping computes, then builds the JSON parameter stagePage
 * sends; after each step (garbage collected, everything the real code still holds kept alive) it
 * prints heapUsed above the baseline, and the peak as a multiple of the page's bytes.
 *
 *   node --expose-gc --max-old-space-size=4096 --import tsx libs/import/bench/page-heap.ts --mb 50 [--shape users|group]
 *
 * `users`: records of about 950 bytes like the demo server's huge page; `group`: one group whose
 * members fill the page (about 60 bytes per member, the shape of a 1.7M-member "all employees" group).
 */
import { Readable } from 'node:stream';
import { stableHash } from '@app/mapping';
import { parseJsonBody, parseListResponse } from '@app/scim';
import { readBounded } from '../../scim/src/bounded-body';
import { toStaged } from '../src/extract/extract';

const MiB = 1024 * 1024;

function args(): { mb: number; shape: 'users' | 'group' } {
  const argv = process.argv.slice(2);
  const at = (name: string) => argv[argv.indexOf(name) + 1];
  return { mb: Number(argv.includes('--mb') ? at('--mb') : 50), shape: argv.includes('--shape') ? (at('--shape') as 'users' | 'group') : 'users' };
}

/** The page as 64 KiB chunks (Buffers are outside the heap, as a socket's are). */
function pageChunks(bytes: number, shape: 'users' | 'group'): Buffer[] {
  const parts: string[] = [];
  let size = 0;
  const push = (s: string) => {
    parts.push(s);
    size += s.length;
  };
  if (shape === 'users') {
    push('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[');
    for (let i = 0; size < bytes; i++) {
      push(
        (i === 0 ? '' : ',') +
          JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: `u-${i}`, userName: `user.${i}@example.com`, displayName: 'x'.repeat(850) }),
      );
    }
    push(']}');
  } else {
    push('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"g-1","displayName":"Everyone","members":[');
    for (let i = 0; size < bytes; i++) push(`${i === 0 ? '' : ','}{"value":"user-${String(i).padStart(12, '0')}","display":"User ${i}"}`);
    push(']}]}');
  }
  const text = parts.join('');
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; i += 64 * 1024) out.push(Buffer.from(text.slice(i, i + 64 * 1024)));
  return out;
}

function heapNow(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const { mb, shape } = args();
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with --expose-gc');
  const chunks = pageChunks(mb * MiB, shape);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const base = heapNow();
  const steps: Array<[string, number]> = [];
  const mark = (step: string) => steps.push([step, heapNow() - base]);

  const body = await readBounded(Readable.from(chunks), bytes + 1);
  mark('body text');
  const parsed = parseListResponse(parseJsonBody(body.text, 'application/scim+json', {}), {});
  mark('text + parsed (inside JSON.parse)');
  (body as { text: string }).text = '';
  mark('parsed page');
  const noClient = { fetchGroupMembers: () => Promise.resolve(null) } as never;
  const records = await toStaged(noClient, shape === 'group' ? 'access' : 'identity', parsed.resources as never, 4, () => undefined);
  mark('parsed + staged input');
  const hashes = records.map((r) => stableHash({ record: r.raw, members: r.members ?? [] }));
  mark('+ mapping hashes');
  const payload = JSON.stringify(records.map((r, i) => ({ source_id: r.sourceId, raw: r.raw, members: r.members, hash: hashes[i] })));
  mark('+ stagePage JSON parameter');
  const peak = Math.max(...steps.map(([, v]) => v));
  console.log(`${shape} page of ${(bytes / MiB).toFixed(1)} MiB (${records.length} records${shape === 'group' ? `, ${records[0]?.members?.length} members` : ''})`);
  for (const [step, v] of steps) console.log(`  ${step.padEnd(36)} ${(v / MiB).toFixed(1).padStart(8)} MiB  ${(v / bytes).toFixed(2)}x`);
  console.log(`  peak                                 ${(peak / MiB).toFixed(1).padStart(8)} MiB  ${(peak / bytes).toFixed(2)}x  (payload ${payload.length > 0 ? 'built' : 'empty'})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
