import type { ScimAuth } from './connection-config';

/** Shorter values would blank out ordinary words in messages; they are not worth hiding that way. */
const MIN_SECRET_LENGTH = 4;
/** Access tokens remembered for scrubbing; a connector rarely holds more than one or two at a time. */
const MAX_DYNAMIC_SECRETS = 8;

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const base64Url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
/** application/x-www-form-urlencoded, as a token request body carries a client secret. */
const formEncoded = (text: string): string => encodeURIComponent(text).replace(/%20/g, '+');
/** The text as it appears inside a JSON string (quotes, backslashes, control characters escaped). */
const jsonEscaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/** Every spelling under which a secret value can come back in a server's answer. */
function spellings(value: string): string[] {
  return [value, encodeURIComponent(value), formEncoded(value), jsonEscaped(value)];
}

/**
 * Every form a connector's credentials take on the wire, so that an answer echoing any of them
 * can be cleaned: the raw secrets (and their URL/form/JSON encodings), the Basic header value of
 * `username:password` in Base64, and the OAuth2 client's Basic pair. Usernames and client ids are
 * not secrets and stay readable.
 */
export function secretFormsOf(auth: ScimAuth): string[] {
  const forms: string[] = [];
  switch (auth.type) {
    case 'basic': {
      forms.push(...spellings(auth.password));
      const pair = `${auth.username}:${auth.password}`;
      forms.push(...spellings(pair), base64(pair), base64Url(pair));
      break;
    }
    case 'bearer':
      forms.push(...spellings(auth.token));
      break;
    case 'oauth2': {
      forms.push(...spellings(auth.clientSecret));
      // RFC 6749 2.3.1 form-encodes id and secret before the Base64 of the Basic header
      const pair = `${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`;
      const rawPair = `${auth.clientId}:${auth.clientSecret}`;
      forms.push(base64(pair), base64Url(pair), base64(rawPair), base64Url(rawPair));
      break;
    }
  }
  return forms;
}

/**
 * Replaces every known secret form in a text with `***`. Built from a connector's auth; OAuth2
 * access tokens are added as they are issued. Longest forms are replaced first so that a secret
 * contained in another (a password inside its `user:password` pair) cannot leave a fragment.
 */
export class SecretScrubber {
  private forms: string[] = [];
  private readonly dynamic: string[] = [];

  constructor(private readonly staticForms: string[] = []) {
    this.rebuild();
  }

  /** A scrubber for a connector's credentials. */
  static forAuth(auth: ScimAuth): SecretScrubber {
    return new SecretScrubber(secretFormsOf(auth));
  }

  /** Adds a secret learned at run time (an OAuth2 access token). */
  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.dynamic.includes(secret)) return;
    this.dynamic.push(secret);
    if (this.dynamic.length > MAX_DYNAMIC_SECRETS) this.dynamic.shift();
    this.rebuild();
  }

  /** The text with every secret form replaced by `***`. */
  scrub(text: string): string {
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join('***');
    return out;
  }

  private rebuild(): void {
    const all = [...this.staticForms, ...this.dynamic.flatMap(spellings)];
    this.forms = [...new Set(all.filter((f) => f.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  }
}
