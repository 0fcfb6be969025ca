import { ScimProtocolError } from './errors';
import { membersOf, normalizeResource, parseJsonBody, parseListResponse } from './list-response';

const ctx = { method: 'GET', url: 'https://scim.example.com/v2/Users', status: 200 };

describe('parseJsonBody', () => {
  it('parses JSON whatever the content type says', () => {
    expect(parseJsonBody('{"a":1}', 'text/plain', ctx)).toEqual({ a: 1 });
  });

  it('turns HTML into a ScimProtocolError that describes the body without quoting it', () => {
    const html = `<html><head><title>Login</title></head><body>${'x'.repeat(500)}</body></html>`;
    let error: unknown;
    try {
      parseJsonBody(html, 'text/html; charset=utf-8', ctx);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ScimProtocolError);
    const e = error as ScimProtocolError;
    expect(e.body).toBe('an HTML page (559 bytes)');
    expect(e.message).not.toContain('Login');
    expect(e.message).toContain('GET https://scim.example.com/v2/Users -> HTTP 200');
    expect(e.message).toContain('Content-Type text/html');
    expect(e.retryable).toBe(false);
  });

  it('rejects an empty body', () => {
    expect(() => parseJsonBody('  ', 'application/scim+json', ctx)).toThrow(/body is empty/);
  });
});

describe('parseListResponse', () => {
  it('reads the RFC shape', () => {
    const parsed = parseListResponse(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 3,
        startIndex: 1,
        itemsPerPage: 2,
        Resources: [{ id: 'a' }, { id: 'b' }],
      },
      ctx,
    );
    expect(parsed).toEqual({ resources: [{ id: 'a' }, { id: 'b' }], totalResults: 3, startIndex: 1, itemsPerPage: 2 });
  });

  it('accepts any key casing and numbers sent as strings', () => {
    const parsed = parseListResponse({ TOTALRESULTS: '12', startindex: '3', ItemsPerPage: '2', resources: [{ id: 1 }] }, ctx);
    expect(parsed.totalResults).toBe(12);
    expect(parsed.startIndex).toBe(3);
    expect(parsed.itemsPerPage).toBe(2);
    expect(parsed.resources).toHaveLength(1);
  });

  it('treats a missing Resources as an empty page', () => {
    expect(parseListResponse({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0 }, ctx)).toEqual({
      resources: [],
      totalResults: 0,
    });
  });

  it('reads cursors and treats an empty nextCursor as the end', () => {
    expect(parseListResponse({ totalResults: 5, Resources: [], nextCursor: 'abc+/=' }, ctx).nextCursor).toBe('abc+/=');
    expect(parseListResponse({ totalResults: 5, Resources: [], nextCursor: '' }, ctx).nextCursor).toBeUndefined();
  });

  it('ignores an unreadable totalResults instead of trusting it', () => {
    expect(parseListResponse({ totalResults: 'many', Resources: [] }, ctx).totalResults).toBeUndefined();
  });

  it.each([
    [[{ id: 'a' }], /ListResponse object/],
    [{ id: 'a', userName: 'x' }, /not a SCIM ListResponse/],
    [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400' }, /SCIM Error body/],
    [{ totalResults: 1, Resources: 'nope' }, /neither an array/],
  ])('rejects %j as a protocol error', (body, message) => {
    expect(() => parseListResponse(body, ctx)).toThrow(ScimProtocolError);
    expect(() => parseListResponse(body, ctx)).toThrow(message);
  });
});

describe('normalizeResource', () => {
  it('makes numeric ids and member values strings', () => {
    const result = normalizeResource({ id: 42, displayName: 'g', members: [{ value: 7, type: 'User' }, { value: 'x' }] });
    expect(result).toEqual({
      resource: { id: '42', displayName: 'g', members: [{ value: '7', type: 'User' }, { value: 'x' }] },
    });
  });

  it('accepts a differently cased id key', () => {
    expect(normalizeResource({ ID: 'abc', userName: 'u' })).toEqual({ resource: { id: 'abc', userName: 'u' } });
  });

  it.each([
    [{ userName: 'no-id' }, 'record has no id'],
    [{ id: '', userName: 'empty' }, 'record id is empty or not a string/number'],
    [{ id: { nested: true } }, 'record id is empty or not a string/number'],
    ['just a string', 'entry is not a JSON object'],
  ])('rejects %j', (raw, reason) => {
    const result = normalizeResource(raw);
    expect(result).toEqual({ rejected: { reason, excerpt: expect.any(String) } });
    if ('rejected' in result) expect(result.rejected.excerpt.length).toBeLessThanOrEqual(200);
  });
});

describe('membersOf', () => {
  it('keeps usable members with string values and their type', () => {
    expect(
      membersOf({ id: 'g', Members: [{ value: 1, type: 'User', display: 'A' }, { value: 'g2', type: 'Group' }, { display: 'no value' }] }),
    ).toEqual([
      { value: '1', type: 'User', display: 'A' },
      { value: 'g2', type: 'Group' },
    ]);
  });

  it('is empty when the group has no members attribute', () => {
    expect(membersOf({ id: 'g' })).toEqual([]);
  });
});
