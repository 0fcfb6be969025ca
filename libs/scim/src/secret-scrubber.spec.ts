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

  it('ignores secrets too short to hide without blanking ordinary words', () => {
    expect(secretFormsOf({ type: 'bearer', token: 'ab' })).toContain('ab');
    expect(SecretScrubber.forAuth({ type: 'bearer', token: 'ab' }).scrub('a table')).toBe('a table');
  });
});
