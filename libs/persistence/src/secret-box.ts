import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export class SecretKeyMismatchError extends Error {
  override readonly name = 'SecretKeyMismatchError';
  constructor() {
    super('Stored connector secrets cannot be decrypted with the current SECRET_KEY (was it changed?). Restore the previous key or set the connector secrets again.');
  }
}

/**
 * AES-256-GCM encryption of connector secrets at rest. The ciphertext names a fingerprint of
 * the key, so a changed SECRET_KEY gives a clear error instead of garbage credentials.
 */
export class SecretBox {
  private readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** Encrypts a JSON value into `v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64 parts). */
  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v1', this.keyId, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** Decrypts what seal() produced; throws SecretKeyMismatchError for another key. */
  open<T = unknown>(sealed: string): T {
    const [version, keyId, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !body) throw new Error('unrecognised secret format');
    if (keyId !== this.keyId) throw new SecretKeyMismatchError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      throw new SecretKeyMismatchError();
    }
  }
}
