import type { ScimAuth } from './connection-config';

/** Shorter values would blank out ordinary words in messages; they are not worth hiding that way. */
const MIN_SECRET_LENGTH = 4;
/** Access tokens remembered for scrubbing; a connector rarely holds more than one or two at a time. */
const MAX_DYNAMIC_SECRETS = 8;
/**
 * Pieces of a secret that are hunted on their own (a server may echo it split up): half the
 * secret, but never pieces under 6 characters (they would match ordinary words) and at most 8
 * (any longer piece contains one of 8).
 */
const MIN_PIECE = 6;
const MAX_PIECE = 8;

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const base64Url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
const reversed = (text: string): string => [...text].reverse().join('');
/** application/x-www-form-urlencoded, as a token request body carries a client secret. */
const formEncoded = (text: string): string => encodeURIComponent(text).replace(/%20/g, '+');
/** The text as it appears inside a JSON string (quotes, backslashes, control characters escaped). */
const jsonEscaped = (text: string): string => JSON.stringify(text).slice(1, -1);

/**
 * Every spelling under which a secret value can come back in a server's answer: raw, URL, form
 * and JSON encoded (once and twice), hex, reversed and Base64. Matching ignores case, so upper-
 * and lower-cased echoes (and upper-case hex) are covered too.
 */
function spellings(value: string): string[] {
  return [
    value,
    encodeURIComponent(value),
    formEncoded(value),
    jsonEscaped(value),
    jsonEscaped(jsonEscaped(value)),
    hex(value),
    reversed(value),
    base64(value),
    base64Url(value),
  ];
}

/** The spellings whose pieces are hunted, each with its piece length (hex spells a character in two). */
function pieceSources(value: string): Array<{ text: string; piece: number }> {
  const piece = Math.min(MAX_PIECE, Math.floor(value.length / 2));
  if (piece < MIN_PIECE) return [];
  const texts = [value, reversed(value), jsonEscaped(value), jsonEscaped(jsonEscaped(value)), encodeURIComponent(value)];
  return [...texts.map((text) => ({ text, piece })), { text: hex(value), piece: piece * 2 }];
}

/** Lower case, one UTF-16 unit for one, so that positions in the folded text are positions in the text. */
function fold(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(text)) return text.toLowerCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const lower = text[i].toLowerCase();
    out += lower.length === 1 ? lower : text[i];
  }
  return out;
}

/** The raw secret values of a connector's auth (usernames and client ids are not secrets). */
function secretValuesOf(auth: ScimAuth): string[] {
  switch (auth.type) {
    case 'basic':
      return [auth.password];
    case 'bearer':
      return [auth.token];
    case 'oauth2':
      return [auth.clientSecret];
  }
}

/**
 * Every form a connector's credentials take on the wire, so that an answer echoing any of them
 * can be cleaned: the raw secrets (and their spellings), the Basic header value of
 * `username:password` in Base64, and the OAuth2 client's Basic pair. Usernames and client ids are
 * not secrets and stay readable.
 */
export function secretFormsOf(auth: ScimAuth): string[] {
  const forms: string[] = secretValuesOf(auth).flatMap(spellings);
  switch (auth.type) {
    case 'basic': {
      const pair = `${auth.username}:${auth.password}`;
      forms.push(...spellings(pair));
      break;
    }
    case 'bearer':
      break;
    case 'oauth2': {
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
 * Replaces every known secret form in a text with `***`, ignoring case, and also every piece of
 * a secret at least half its length (or 8 characters) long, so an echo split in two leaves
 * nothing either. Built from a connector's auth; OAuth2 access tokens are added as they are
 * issued. This is defence in depth: what a server sends is kept out of messages in the first
 * place (./untrusted-answer), because no list of spellings is complete.
 */
export class SecretScrubber {
  private forms: string[] = [];
  private pieces = new Map<number, Set<string>>();
  private readonly dynamic: string[] = [];

  constructor(
    private readonly staticForms: string[] = [],
    private readonly staticValues: string[] = [],
  ) {
    this.rebuild();
  }

  /** A scrubber for a connector's credentials. */
  static forAuth(auth: ScimAuth): SecretScrubber {
    return new SecretScrubber(secretFormsOf(auth), secretValuesOf(auth));
  }

  /** Adds a secret learned at run time (an OAuth2 access token). */
  add(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH || this.dynamic.includes(secret)) return;
    this.dynamic.push(secret);
    if (this.dynamic.length > MAX_DYNAMIC_SECRETS) this.dynamic.shift();
    this.rebuild();
  }

  /** The text with every secret form (and every long enough piece of a secret) replaced by `***`. */
  scrub(text: string): string {
    if (text.length < MIN_SECRET_LENGTH || (this.forms.length === 0 && this.pieces.size === 0)) return text;
    const folded = fold(text);
    const hidden = new Uint8Array(text.length);
    let found = false;
    for (const form of this.forms) {
      for (let at = folded.indexOf(form); at !== -1; at = folded.indexOf(form, at + 1)) {
        hidden.fill(1, at, at + form.length);
        found = true;
      }
    }
    for (const [length, set] of this.pieces) {
      for (let at = 0; at + length <= folded.length; at++) {
        if (set.has(folded.slice(at, at + length))) {
          hidden.fill(1, at, at + length);
          found = true;
        }
      }
    }
    if (!found) return text;
    let out = '';
    for (let i = 0; i < text.length; ) {
      if (hidden[i] === 0) {
        let end = i;
        while (end < text.length && hidden[end] === 0) end++;
        out += text.slice(i, end);
        i = end;
      } else {
        while (i < text.length && hidden[i] === 1) i++;
        out += '***';
      }
    }
    return out;
  }

  private rebuild(): void {
    const all = [...this.staticForms, ...this.dynamic.flatMap(spellings)];
    this.forms = [...new Set(all.filter((f) => f.length >= MIN_SECRET_LENGTH).map(fold))].sort((a, b) => b.length - a.length);
    this.pieces = new Map();
    for (const value of [...this.staticValues, ...this.dynamic]) {
      for (const { text, piece } of pieceSources(value)) {
        const folded = fold(text);
        const set = this.pieces.get(piece) ?? new Set<string>();
        for (let at = 0; at + piece <= folded.length; at++) set.add(folded.slice(at, at + piece));
        this.pieces.set(piece, set);
      }
    }
  }
}
