/**
 * TLS: the demo server behind a TLS-terminating proxy with a self-signed certificate made by
 * openssl (skipped when openssl is not installed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { startScimDemoServer, type ScimDemoServer } from '../../apps/scim-demo/src';
import { ScimClient, ScimConfigError, type ScimConnectionConfig } from '../../libs/scim/src';
import { readListing, sorted } from './scim-test-helpers';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed EC certificate for the given subjectAltName. */
function selfSigned(dir: string, name: string, san: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

/** Terminates TLS and pipes the plain bytes to the demo server. */
async function tlsProxy(pair: { key: string; cert: string }, targetPort: number): Promise<TlsServer> {
  const proxy = createTlsServer(pair, (socket) => {
    const upstream = connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}

(hasOpenssl() ? describe : describe.skip)('TLS', () => {
  let dir: string;
  let demo: ScimDemoServer;
  let good: { pair: { key: string; cert: string }; proxy: TlsServer; url: string };
  let wrongName: { pair: { key: string; cert: string }; proxy: TlsServer; url: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scim-tls-'));
    demo = await startScimDemoServer({ seed: { users: 80, groups: 3 } });
    const demoPort = Number(new URL(demo.url).port);
    const start = async (name: string, san: string) => {
      const pair = selfSigned(dir, name, san);
      const proxy = await tlsProxy(pair, demoPort);
      return { pair, proxy, url: `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/scim/v2` };
    };
    good = await start('scim-local', 'IP:127.0.0.1');
    wrongName = await start('other', 'DNS:other.example.test');
  });
  afterAll(async () => {
    for (const p of [good?.proxy, wrongName?.proxy]) if (p) await new Promise<void>((r) => p.close(() => r()));
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (url: string, tls?: ScimConnectionConfig['tls']) =>
    new ScimClient({ baseUrl: url, auth: { type: 'bearer', token: 'open' }, tls, pageSize: 25 }, { maxAttemptsPerRequest: 1 });

  it('refuses an untrusted self-signed certificate with a configuration error that says what to do', async () => {
    const c = client(good.url);
    const test = await c.testConnection();
    expect(test.ok).toBe(false);
    expect(test.message).toMatch(/TLS verification failed/);
    expect(test.message).toMatch(/tls\.caPem/);
    const error = await readListing(c.listResources('/Users')).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as ScimConfigError).retryable).toBe(false);
  });

  it('trusts the certificate when its CA is configured, and reads everything', async () => {
    const c = client(good.url, { caPem: good.pair.cert });
    const test = await c.testConnection();
    expect(test).toMatchObject({ ok: true, message: expect.stringMatching(/over verified TLS/) });
    const { ids, report } = await readListing(c.listResources('/Users'));
    await c.close();
    expect(sorted(ids)).toEqual(sorted(demo.admin.listUserIds()));
    expect(report.complete).toBe(true);
  });

  it('still checks the host name against a trusted certificate', async () => {
    const c = client(wrongName.url, { caPem: wrongName.pair.cert });
    const error = await c.discover().catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(ScimConfigError);
    expect((error as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|altname|does not match/i);
  });

  it('connects without verification when rejectUnauthorized is false', async () => {
    const c = client(wrongName.url, { rejectUnauthorized: false });
    const result = await c.testAuthentication();
    await c.close();
    expect(result.ok).toBe(true);
  });
});
