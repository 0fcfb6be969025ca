import { MAX_DETAIL_LENGTH, contentTypeLabel, maskOpaqueTokens, describeBody, describeRedirect, errorAnswerFacts, knownScimType } from './untrusted-answer';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
const scimError = (fields: Record<string, unknown>) => JSON.stringify({ schemas: [ERROR_SCHEMA], ...fields });
const echo = 'echo-50773a2d71';

describe('errorAnswerFacts', () => {
  it.each([401, 403])('keeps only a standard scimType of a %i', (status) => {
    expect(errorAnswerFacts(status, scimError({ status, scimType: 'invalidValue', detail: echo }))).toEqual({ scimType: 'invalidValue' });
  });

  it.each([400, 404, 409, 500, 503])('keeps the shortened SCIM detail of a %i', (status) => {
    const detail = `attribute ${'x'.repeat(500)}\nsecond line`;
    const facts = errorAnswerFacts(status, scimError({ status: String(status), scimType: 'invalidFilter', detail }));
    expect(facts.scimType).toBe('invalidFilter');
    expect(facts.detail).toHaveLength(MAX_DETAIL_LENGTH);
    expect(facts.detail).toMatch(/^attribute x+…$/);
  });

  it('masks token-like runs in a kept detail, also of secrets nobody told it about', () => {
    const facts = errorAnswerFacts(400, scimError({ detail: 'token at-17b6e5e1-19f1-40 and 50773A2D71C3A9 rejected for userName' }));
    expect(facts.detail).toBe('token *** and *** rejected for userName');
  });

  it('flattens control characters, so a detail cannot forge a log line', () => {
    expect(errorAnswerFacts(400, scimError({ detail: 'bad\r\n{"level":"info"}\u0000x' })).detail).toBe('bad {"level":"info"} x');
  });

  it.each([
    ['plain text', `upstream said ${echo}`],
    ['HTML', `<html><body>${echo}</body></html>`],
    ['JSON without the SCIM Error schema', JSON.stringify({ detail: echo, message: echo, error_description: echo })],
    ['a JSON array', JSON.stringify([echo])],
    ['broken JSON', `{"detail": "${echo}"`],
  ])('repeats nothing of %s', (_kind, body) => {
    expect(errorAnswerFacts(500, body)).toEqual({});
  });

  it('drops a scimType that is not a standard value, since it is then free text', () => {
    expect(errorAnswerFacts(400, scimError({ scimType: echo, detail: 'd' }))).toEqual({ detail: 'd' });
    expect(errorAnswerFacts(400, scimError({ scimType: 'INVALIDCURSOR' }))).toEqual({ scimType: 'invalidCursor' });
  });

  it('reads SCIM error keys in any casing', () => {
    const body = JSON.stringify({ Schemas: [ERROR_SCHEMA.toUpperCase()], ScimType: 'tooMany', Detail: 'too many results' });
    expect(errorAnswerFacts(400, body)).toEqual({ scimType: 'tooMany', detail: 'too many results' });
  });

  it('keeps no detail of a token endpoint, only a standard OAuth2 error code in our words', () => {
    const body = JSON.stringify({ schemas: [ERROR_SCHEMA], error: 'invalid_client', error_description: echo, detail: echo });
    for (const status of [400, 401, 500]) {
      expect(errorAnswerFacts(status, body, 'tokenEndpoint')).toEqual({ oauthError: 'the client id or secret was rejected (invalid_client)' });
    }
    expect(errorAnswerFacts(400, JSON.stringify({ error: echo }), 'tokenEndpoint')).toEqual({});
    expect(errorAnswerFacts(400, JSON.stringify({ error: 'toString' }), 'tokenEndpoint')).toEqual({});
  });
});

describe('maskOpaqueTokens', () => {
  it('masks long runs mixing letters and digits, keeping words, numbers, hosts and paths', () => {
    expect(maskOpaqueTokens('Basic c3ZjOnBhc3N3b3Jk, id 1234567890123, https://scim.example.com/v2/Users, attributeName')).toBe(
      'Basic ***, id 1234567890123, https://scim.example.com/v2/Users, attributeName',
    );
  });
});

describe('knownScimType', () => {
  it('knows the RFC 7644 and RFC 9865 values only', () => {
    expect(knownScimType('expiredCursor')).toBe('expiredCursor');
    expect(knownScimType(' invalidcount ')).toBe('invalidCount');
    expect(knownScimType('somethingElse')).toBeUndefined();
    expect(knownScimType(42)).toBeUndefined();
  });
});

describe('describeBody', () => {
  it.each([
    ['', 'empty'],
    ['  \n', 'empty'],
    [`<!DOCTYPE html><html><title>${echo}</title></html>`, 'an HTML page (58 bytes)'],
    [`<error>${echo}</error>`, 'markup (30 bytes)'],
    [echo, 'text that is not JSON (15 bytes)'],
    [JSON.stringify({ [echo]: echo, b: 1 }), 'a JSON object with 2 keys (43 bytes)'],
    [JSON.stringify([echo]), 'a JSON array of 1 entry (19 bytes)'],
    [JSON.stringify(echo), 'a JSON string (17 bytes)'],
    ['x'.repeat(2048), 'text that is not JSON (2 KiB)'],
  ])('describes %j as %s', (body, expected) => {
    expect(describeBody(body)).toBe(expected);
    if (body.includes(echo)) expect(describeBody(body)).not.toContain(echo);
  });
});

describe('contentTypeLabel', () => {
  it('names well-known media types and nothing else', () => {
    expect(contentTypeLabel('text/html; charset=utf-8')).toBe('Content-Type text/html');
    expect(contentTypeLabel('Application/SCIM+JSON')).toBe('Content-Type application/scim+json');
    expect(contentTypeLabel(`text/${echo}`)).toBe('another Content-Type');
    expect(contentTypeLabel(undefined)).toBe('no Content-Type');
  });
});

describe('describeRedirect', () => {
  const from = 'http://scim.example.com:8080/v2/Users?count=1';
  it.each([
    [`https://${echo}.example.org/x`, 'to another host (over https)'],
    [`${echo}:opaque`, 'to another host (over another scheme)'],
    ['https://scim.example.com:8080/v2/Users', 'to https on the same host'],
    ['http://scim.example.com:9090/v2/Users', 'to another port on the same host'],
    [`/${echo}/Users`, 'to another path on the same host'],
    ['http://[bad', 'to an address that is not a valid URL'],
    [undefined, 'without a Location'],
  ])('describes a Location of %s', (location, expected) => {
    expect(describeRedirect(from, location)).toBe(expected);
  });
});
