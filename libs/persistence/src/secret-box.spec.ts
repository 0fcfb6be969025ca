import { randomBytes } from 'node:crypto';
import { SecretBox, SecretKeyMismatchError } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips a value and never stores it in clear', () => {
    const sealed = box.seal({ password: 'hunter2-very-secret' });
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toEqual({ password: 'hunter2-very-secret' });
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('x')).not.toBe(box.seal('x'));
  });

  it('gives a clear error under another key', () => {
    const other = new SecretBox(randomBytes(32));
    expect(() => other.open(box.seal('x'))).toThrow(SecretKeyMismatchError);
    expect(() => other.open(box.seal('x'))).toThrow(/SECRET_KEY/);
  });

  it('detects tampering', () => {
    const parts = box.seal({ a: 1 }).split(':');
    parts[4] = Buffer.from('tampered').toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow(SecretKeyMismatchError);
  });
});
