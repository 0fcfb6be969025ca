import { SecretScrubber, secretFormsOf } from './secret-scrubber';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('SecretScrubber', () => {
  it('removes the Basic password, its user:password pair and their Base64 and encoded forms, keeping the username', () => {
    const s = SecretScrubber.forAuth({ type: 'basic', username: 'svc-import', password: 'p@ss w/rd"x' });
    const text = [
      `Authorization: Basic ${b64('svc-import:p@ss w/rd"x')}`,
      `pw=p@ss w/rd"x`,
      `form=${encodeURIComponent('p@ss w/rd"x').replace(/%20/g, '+')}`,
      `json=${JSON.stringify({ password: 'p@ss w/rd"x' })}`,
      `url=${encodeURIComponent('p@ss w/rd"x')}`,
      'user svc-import',
    ].join('\n');
    const out = s.scrub(text);
    expect(out).not.toContain('p@ss');
    expect(out).not.toContain(b64('svc-import:p@ss w/rd"x'));
    expect(out).not.toContain('rd%22x');
    expect(out).toContain('user svc-import');
    expect(out).toContain('Basic ***');
  });

  it('removes bearer tokens, OAuth2 client secrets (raw, form-encoded, in the Basic pair) and access tokens learned later', () => {
    expect(SecretScrubber.forAuth({ type: 'bearer', token: 'tok-123456' }).scrub('Bearer tok-123456.')).toBe('Bearer ***.');
    const oauth = SecretScrubber.forAuth({ type: 'oauth2', tokenUrl: 'https://idp/token', clientId: 'cli:ent', clientSecret: 'sec ret+1' });
    const pair = b64(`${encodeURIComponent('cli:ent')}:${encodeURIComponent('sec ret+1')}`);
    expect(oauth.scrub(`Basic ${pair} client_secret=sec+ret%2B1 raw=sec ret+1`)).toBe('Basic *** client_secret=*** raw=***');
    expect(oauth.scrub('access eyJhbGciOi.abc')).toBe('access eyJhbGciOi.abc');
    oauth.add('eyJhbGciOi.abc');
    expect(oauth.scrub('access eyJhbGciOi.abc')).toBe('access ***');
  });

  describe('transformed echoes (defence in depth: bodies are not repeated in the first place)', () => {
    const password = 'Pw"q\\Zx-7f3e9b21-4c5d/+é';
    const s = SecretScrubber.forAuth({ type: 'basic', username: 'svc-import', password });
    const hex = Buffer.from(password).toString('hex');
    const half = Math.floor(password.length / 2);
    const forms: Record<string, string> = {
      hex,
      upperHex: hex.toUpperCase(),
      upper: password.toUpperCase(),
      lower: password.toLowerCase(),
      firstHalf: password.slice(0, half),
      secondHalf: password.slice(half),
      doubleJson: JSON.stringify(JSON.stringify(password)),
      reversed: [...password].reverse().join(''),
      base64: b64(password),
      base64Url: Buffer.from(password).toString('base64url'),
    };

    it.each(Object.entries(forms))('removes the %s form', (_name, form) => {
      const out = s.scrub(`server said <${form}> and more`);
      expect(out).not.toContain(form);
      expect(out).toMatch(/^server said <[^>]*\*\*\*[^>]*> and more$/);
    });

    it('removes halves echoed in different places, and leaves text without secrets as it is', () => {
      const out = s.scrub(`first ${forms.firstHalf} ... later ${forms.secondHalf} end`);
      expect(out).toBe('first *** ... later *** end');
      const plain = 'GET https://scim.example.com/v2/Users?startIndex=1&count=200 -> HTTP 500: the server failed (5xx)';
      expect(s.scrub(plain)).toBe(plain);
    });

    it('does not hunt pieces of secrets whose half is under 6 characters', () => {
      const short = SecretScrubber.forAuth({ type: 'bearer', token: 'abcdefghij' });
      expect(short.scrub('abcde and fghij')).toBe('abcde and fghij');
      expect(short.scrub('ABCDEFGHIJ')).toBe('***');
    });

    it('hunts the transformed forms of access tokens learned later', () => {
      const oauth = SecretScrubber.forAuth({ type: 'oauth2', tokenUrl: 'https://idp/token', clientId: 'c', clientSecret: 'client-secret-1' });
      const token = 'at-0123456789abcdef';
      oauth.add(token);
      expect(oauth.scrub(`x ${Buffer.from(token).toString('hex').toUpperCase()} y ${token.slice(0, 9)}`)).toBe('x *** y ***');
    });
  });

  it('ignores secrets too short to hide without blanking ordinary words', () => {
    expect(secretFormsOf({ type: 'bearer', token: 'ab' })).toContain('ab');
    expect(SecretScrubber.forAuth({ type: 'bearer', token: 'ab' }).scrub('a table')).toBe('a table');
  });
});
