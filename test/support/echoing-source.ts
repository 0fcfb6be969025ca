/**
 * A hostile SCIM source for the tests (not a test file itself): a real node:http server with a
 * SCIM base path and an OAuth2 token endpoint that reads the credentials it is sent (Basic
 * password, bearer token, OAuth2 client secret, issued access token) and echoes them back
 * transformed — hex, upper case, lower case, split in halves placed apart, JSON-escaped twice,
 * reversed, Base64 of the secret alone — in error bodies, headers and garbage 200 answers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the source answers: an error status with a SCIM error body, or a 200 with garbage. */
export type EchoAnswer = 401 | 403 | 400 | 500 | 'garbageHtml' | 'garbageJson';

export const ECHO_ANSWERS: EchoAnswer[] = [401, 403, 400, 500, 'garbageHtml', 'garbageJson'];

/** Which endpoint is hostile; the other one behaves (the token endpoint issues tokens). */
export interface EchoMode {
  scim?: EchoAnswer;
  token?: EchoAnswer;
}

/** Words a kept SCIM `detail` starts with, so a test can see that the harmless part survives. */
export const DETAIL_WORDS = 'upstream refused the request';

const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Every transformed spelling of a secret this source sends back. */
export function transformsOf(secret: string): Record<string, string> {
  const half = Math.floor(secret.length / 2);
  const hex = Buffer.from(secret, 'utf8').toString('hex');
  return {
    raw: secret,
    hex,
    upperHex: hex.toUpperCase(),
    upper: secret.toUpperCase(),
    lower: secret.toLowerCase(),
    firstHalf: secret.slice(0, half),
    secondHalf: secret.slice(half),
    doubleJson: JSON.stringify(JSON.stringify(secret)),
    reversed: [...secret].reverse().join(''),
    base64: Buffer.from(secret, 'utf8').toString('base64'),
  };
}

/** What must never appear anywhere: every transformed form, and each half when it is at least 6 characters. */
export function forbiddenForms(secret: string): string[] {
  const forms = transformsOf(secret);
  return Object.entries(forms)
    .filter(([name, form]) => !(name === 'firstHalf' || name === 'secondHalf') || form.length >= 6)
    .map(([, form]) => form);
}

/**
 * What a search for a leak looks for: every forbidden form, and each run of 8 or more characters
 * of a form between quotes and backslashes, so a form is found however a store escaped those
 * (JSON once or twice, PostgreSQL row text).
 */
export function leakNeedles(secret: string): string[] {
  const forms = forbiddenForms(secret);
  const cores = forms.flatMap((form) => form.split(/["\\]+/)).filter((core) => core.length >= 8);
  return [...new Set([...forms, ...cores])];
}

/**
 * Secrets with characters that make escaping, case and encodings differ from the raw value;
 * `header` ones can travel in an Authorization header as they are (a bearer token).
 */
export function hostileSecret(prefix: string, header = false): string {
  return header ? `${prefix}"q\\${randomUUID()}/+=` : `${prefix}"q\\${randomUUID()}/+ é`;
}

export interface EchoingSource {
  /** SCIM base URL. */
  url: string;
  tokenUrl: string;
  /** Every credential the source received so far (decoded), access tokens it issued included. */
  secrets: Set<string>;
  mode: EchoMode;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(body));
  });
}

/** The secret a request carries: the Basic password (or client secret), a bearer token, a form client_secret. */
function secretsIn(req: IncomingMessage, body: string, tokenEndpoint: boolean): string[] {
  const out: string[] = [];
  const authorization = req.headers.authorization ?? '';
  const space = authorization.indexOf(' ');
  const scheme = space === -1 ? authorization : authorization.slice(0, space);
  const value = space === -1 ? '' : authorization.slice(space + 1);
  if (scheme?.toLowerCase() === 'basic') {
    const pair = Buffer.from(value, 'base64').toString('utf8');
    const secret = pair.slice(pair.indexOf(':') + 1);
    // a client secret in the Basic pair is form-encoded first (RFC 6749 2.3.1)
    out.push(tokenEndpoint ? decodeURIComponent(secret.replace(/\+/g, ' ')) : secret);
  } else if (scheme?.toLowerCase() === 'bearer') {
    out.push(value);
  }
  const posted = new URLSearchParams(body).get('client_secret');
  if (posted) out.push(posted);
  return out;
}

/** The hostile answer, carrying every transform of every secret, halves apart. */
function echo(res: ServerResponse, answer: EchoAnswer, secrets: string[]): void {
  const all = secrets.map(transformsOf);
  const [first] = all;
  const whole = all.flatMap((t) => [t.hex, t.upperHex, t.upper, t.lower, t.doubleJson, t.reversed, t.base64]);
  const headers = {
    'www-authenticate': `Basic realm="${first?.upper ?? ''}", error="${first?.firstHalf ?? ''}"`,
    'x-echo': all.map((t) => t.reversed).join(' '),
    location: `https://${first?.hex ?? 'x'}.example.com/${encodeURIComponent(first?.secondHalf ?? '')}`,
    'retry-after': '0',
  };
  if (answer === 'garbageHtml') {
    res.writeHead(200, { ...headers, 'content-type': `text/${first?.hex ?? 'html'}` });
    res.end(`<html><body><h1>${all.map((t) => t.firstHalf).join(' ')}</h1><p>${whole.join('<br>')}</p><footer>${all.map((t) => t.secondHalf).join(' ')}</footer></body></html>`);
    return;
  }
  if (answer === 'garbageJson') {
    const body: Record<string, unknown> = { token_type: first?.lower };
    for (const t of all) {
      body[t.hex] = t.firstHalf;
      body[t.upper] = { nested: [t.doubleJson, t.reversed, t.base64] };
      body[`x-${t.secondHalf}`] = t.lower;
    }
    res.writeHead(200, { ...headers, 'content-type': 'application/scim+json' });
    res.end(JSON.stringify(body));
    return;
  }
  res.writeHead(answer, { ...headers, 'content-type': 'application/scim+json' });
  res.end(
    JSON.stringify({
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(answer),
      // not a standard scimType: free text that must not be repeated
      scimType: first?.hex,
      detail: `${DETAIL_WORDS}: ${all.map((t) => t.firstHalf).join(' ')} ${whole.join(' ')}`,
      // the OAuth2 fields a token endpoint would use
      error: first?.upper,
      error_description: all.map((t) => t.secondHalf).join(' '),
      elsewhere: all.map((t) => t.secondHalf),
    }),
  );
}

/** Starts the hostile source on 127.0.0.1; `mode` can be changed between requests. */
export async function startEchoingSource(mode: EchoMode = {}): Promise<EchoingSource> {
  const secrets = new Set<string>();
  const state: EchoingSource = { url: '', tokenUrl: '', secrets, mode, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const tokenEndpoint = req.url === '/oauth/token';
      const received = secretsIn(req, body, tokenEndpoint);
      for (const s of received) secrets.add(s);
      if (tokenEndpoint) {
        if (state.mode.token !== undefined) return echo(res, state.mode.token, received);
        const accessToken = `at-${randomUUID()}`;
        secrets.add(accessToken);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 600 }));
        return;
      }
      // the hostile party runs both endpoints: it echoes the client secret too
      if (state.mode.scim !== undefined) return echo(res, state.mode.scim, [...new Set([...received, ...secrets])]);
      res.writeHead(404, { 'content-type': 'application/scim+json' });
      res.end(JSON.stringify({ schemas: [SCIM_ERROR_SCHEMA], status: '404', detail: 'not here' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.url = `${origin}/scim/v2`;
  state.tokenUrl = `${origin}/oauth/token`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return state;
}
