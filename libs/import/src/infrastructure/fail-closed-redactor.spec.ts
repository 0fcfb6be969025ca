import { failClosedRedactor } from './fail-closed-redactor';

describe('failClosedRedactor', () => {
  const redact = failClosedRedactor();
  const password = 'Pw-7f3c9a1b2d4e';
  const basic = Buffer.from(`svc-import:${password}`).toString('base64');

  it.each([
    ['URL user-info', `GET https://svc-import:${password}@scim.example.com/v2/Users failed`, [password]],
    ['a Basic header echoed by the server', `401: {"detail":"bad header Authorization: Basic ${basic}"}`, [basic]],
    ['a bearer token', 'refused Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc', ['eyJhbGciOiJIUzI1NiJ9']],
    ['a secret-named JSON field', `{"client_secret": "s3cr3t-val", "password":"hunter2"}`, ['s3cr3t-val', 'hunter2']],
    ['a secret-named query parameter', 'token=abcdef&user=x and pwd: topsecret;', ['abcdef', 'topsecret']],
    ['a bare long opaque value', `the server answered ${password} unexpectedly`, [password]],
  ])('removes %s', (_name, text, secrets) => {
    const out = redact(text);
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toContain('***');
  });

  it('keeps ordinary prose, status codes, hosts and numbers readable', () => {
    const text = 'the SCIM server at scim.example.com answered 503 Service Unavailable after 30000 ms (attempt 3 of 10)';
    expect(redact(text)).toBe(text);
  });
});
