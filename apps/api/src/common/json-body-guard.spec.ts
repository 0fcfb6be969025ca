import { checkJsonBody, MAX_BODY_DEPTH, MAX_BODY_VALUES } from './json-body-guard';

/** `{ [key]: [[[…]]] }` with `levels` nested arrays (iteratively built: the test itself must not recurse). */
function nested(key: string, levels: number): Record<string, unknown> {
  let inner: unknown[] = [];
  for (let i = 1; i < levels; i++) inner = [inner];
  return { [key]: inner };
}

describe('checkJsonBody', () => {
  it('accepts ordinary bodies, including tabs and line breaks in strings (PEMs, filters)', () => {
    expect(checkJsonBody({ name: 'Käyttäjät ✓', tls: { caPem: '-----BEGIN\r\nabc\n-----END' }, filters: { users: 'a eq "b"\tand c pr' } })).toBeUndefined();
    expect(checkJsonBody(nested('name', MAX_BODY_DEPTH - 1))).toBeUndefined();
  });

  it('refuses nesting beyond the limit without overflowing the stack, naming the top-level field', () => {
    expect(checkJsonBody(nested('identity', MAX_BODY_DEPTH + 1))).toEqual({ field: 'identity', message: expect.stringContaining(`deeper than ${MAX_BODY_DEPTH}`) });
    expect(checkJsonBody(nested('name', 200_000))?.field).toBe('name');
  });

  it('refuses more values than the limit', () => {
    expect(checkJsonBody({ attributes: new Array(MAX_BODY_VALUES).fill(1) })).toEqual({ field: 'attributes', message: expect.stringContaining(`more than ${MAX_BODY_VALUES}`) });
  });

  it('refuses NUL and control characters in strings and keys, naming the field path', () => {
    expect(checkJsonBody({ name: 'a\u0000b' })?.field).toBe('name');
    expect(checkJsonBody({ identity: { attributes: [{ external: 'x', local: 'y\u0007' }] } })?.field).toBe('identity.attributes[0].local');
    expect(checkJsonBody({ generic: { 'bad\u0001key': 1 } })?.field).toBe('generic');
    expect(checkJsonBody({ note: 'c1 \u0085 control' })?.field).toBe('note');
  });

  it('refuses lone UTF-16 surrogates (stored as U+FFFD otherwise) and keeps paired ones (emoji)', () => {
    expect(checkJsonBody(JSON.parse('{"name":"a\\ud800b"}'))).toEqual({ field: 'name', message: expect.stringContaining('lone UTF-16 surrogate') });
    expect(checkJsonBody(JSON.parse('{"identity":{"attributes":[{"local":"x\\udc00"}]}}'))?.field).toBe('identity.attributes[0].local');
    expect(checkJsonBody(JSON.parse('{"name":"trailing \\udbff"}'))?.field).toBe('name');
    expect(checkJsonBody(JSON.parse('{"generic":{"k\\ud800":1}}'))?.field).toBe('generic');
    expect(checkJsonBody({ name: 'emoji \u{1F600} and \ud83d\ude00 paired' })).toBeUndefined();
  });
});
