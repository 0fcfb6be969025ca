import { readFileSync } from 'node:fs';
import { OPENAPI_FILE, renderOpenApi } from '../../../scripts/openapi';

/** The console's API client is generated from docs/openapi.json: it must be what the code serves. */
describe('docs/openapi.json', () => {
  it('is the document the API generates (run `npm run openapi` after changing a controller or DTO)', async () => {
    const generated = await renderOpenApi();
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(generated);
  });

  it('gives every response a schema and every error the problem document', async () => {
    const doc = JSON.parse(await renderOpenApi()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
    };
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, res] of Object.entries(op.responses)) {
          if (status === '204') continue;
          const contents = Object.entries(res.content ?? {});
          if (contents.length === 0 || contents.some(([, c]) => !c.schema)) missing.push(`${method.toUpperCase()} ${path} ${status}`);
          if (Number(status) >= 400 && path.startsWith('/api/') && !res.content?.['application/problem+json']?.schema?.$ref?.endsWith('/ProblemView')) {
            missing.push(`${method.toUpperCase()} ${path} ${status} (not a problem document)`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
