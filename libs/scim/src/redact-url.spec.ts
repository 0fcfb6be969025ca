import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('drops user-info', () => {
    expect(redactUrl('https://svc:s3cret@scim.example.com/v2/Users')).toBe('https://scim.example.com/v2/Users');
  });

  it('masks secret-looking query values and keeps the rest', () => {
    const out = redactUrl('https://scim.example.com/v2/Users?access_token=abc&filter=userName%20eq%20%22x%22');
    expect(out).not.toContain('abc');
    expect(out).toContain('access_token=***');
    expect(out).toContain('filter=');
  });

  it('leaves ordinary URLs byte for byte', () => {
    const url = 'https://scim.example.com/v2/Users?filter=userName%20eq%20%22x%22&startIndex=1';
    expect(redactUrl(url)).toBe(url);
  });

  it('copes with unparseable input', () => {
    expect(redactUrl('not a url://u:p@host')).not.toContain('u:p');
  });
});
