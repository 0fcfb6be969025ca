import type { LookupAddress } from 'node:dns';
import { invalidAllowedNetworks, OutboundAddressPolicy, OutboundAddressRefusedError } from './outbound-address';

const resolvesTo =
  (...addresses: string[]) =>
  async (): Promise<LookupAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('OutboundAddressPolicy', () => {
  const strict = new OutboundAddressPolicy();

  it.each([
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://2852039166/', /169\.254\.169\.254 is link-local/], // decimal
    ['http://0xa9.0xfe.0xa9.0xfe/', /link-local/], // hex
    ['http://0251.0376.0251.0376/', /link-local/], // octal
    ['http://169.254.43518/', /link-local/], // two-part form
    ['http://[::ffff:a9fe:a9fe]/', /link-local/], // IPv4-mapped IPv6
    ['http://[::ffff:169.254.169.254]/', /link-local/],
    ['http://[64:ff9b::a9fe:a9fe]/', /link-local/], // NAT64
    ['http://127.0.0.1:8443/scim/v2', /loopback/],
    ['http://127.1/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://0.0.0.0/', /this host/],
    ['http://0/', /this host/],
    ['http://[::]/', /unspecified/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00:ec2::254]/', /metadata/],
    ['http://100.100.100.200/', /metadata/],
  ])('refuses %s', async (url, reason) => {
    expect(await strict.refusalForUrl(url)).toMatch(reason);
  });

  it.each(['https://10.0.0.5/scim', 'https://172.16.3.4/', 'https://192.168.1.10:8443/v2', 'https://[fd12:3456::1]/', 'https://100.64.0.1/', 'https://8.8.8.8/'])(
    'allows private and public addresses: %s',
    async (url) => {
      expect(await strict.refusalForUrl(url)).toBeUndefined();
    },
  );

  it('checks what a host name resolves to (every address), and lets names that do not resolve through', async () => {
    expect(await strict.refusalForHost('metadata.google.internal', resolvesTo('169.254.169.254'))).toMatch(/metadata\.google\.internal resolves to 169\.254\.169\.254, link-local/);
    expect(await strict.refusalForHost('mixed.example', resolvesTo('10.0.0.1', '127.0.0.1'))).toMatch(/loopback/);
    expect(await strict.refusalForHost('scim.example', resolvesTo('10.0.0.1', '2001:db8::1'))).toBeUndefined();
    expect(await strict.refusalForHost('nowhere.invalid', () => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' })))).toBeUndefined();
    expect(await strict.refusalForHost('slow.example', () => new Promise<LookupAddress[]>(() => undefined), 20)).toBeUndefined();
  });

  it('allows what the deployment lists: CIDRs, addresses, host names; nothing more', async () => {
    const dev = new OutboundAddressPolicy(['127.0.0.0/8', '::1']);
    expect(await dev.refusalForUrl('http://127.0.0.1:8880/scim/v2')).toBeUndefined();
    expect(await dev.refusalForUrl('http://[::1]:8880/')).toBeUndefined();
    expect(await dev.refusalForUrl('http://[::ffff:127.0.0.1]/')).toBeUndefined();
    expect(await dev.refusalForUrl('http://169.254.169.254/')).toMatch(/link-local/);
    expect(await dev.refusalForUrl('http://[::ffff:a9fe:a9fe]/')).toMatch(/link-local/);
    const named = new OutboundAddressPolicy(['scim.internal', '169.254.10.0/24']);
    expect(await named.refusalForHost('SCIM.internal.', resolvesTo('127.0.0.1'))).toBeUndefined();
    expect(await named.refusalForUrl('http://169.254.10.7/')).toBeUndefined();
    expect(await named.refusalForUrl('http://169.254.169.254/')).toMatch(/link-local/);
  });

  it('refuses IP literals before connecting', () => {
    expect(() => strict.assertLiteralAllowed('169.254.169.254')).toThrow(OutboundAddressRefusedError);
    expect(() => strict.assertLiteralAllowed('::ffff:a9fe:a9fe')).toThrow(/OUTBOUND_ALLOWED_NETWORKS/);
    expect(() => strict.assertLiteralAllowed('10.1.1.1')).not.toThrow();
    expect(() => strict.assertLiteralAllowed('scim.example.com')).not.toThrow(); // names go through the lookup
  });

  it('refuses at lookup time what a name resolves to (DNS rebinding cannot pass a check made earlier)', async () => {
    const looked = await new Promise<{ err: unknown; address?: unknown }>((done) => strict.lookup('localhost', { all: true }, (err: unknown, address?: unknown) => done({ err, address })));
    expect(looked.err).toBeInstanceOf(OutboundAddressRefusedError);
    expect(String((looked.err as Error).message)).toMatch(/localhost resolves to .*loopback/);
    const allowed = new OutboundAddressPolicy(['127.0.0.0/8', '::1']);
    const ok = await new Promise<{ err: unknown; address?: unknown; family?: unknown }>((done) =>
      allowed.lookup('localhost', { family: 4 }, (err: unknown, address?: unknown, family?: unknown) => done({ err, address, family })),
    );
    expect(ok).toEqual({ err: null, address: '127.0.0.1', family: 4 });
  });

  it('names the entries of an allow-list that are not networks', () => {
    expect(invalidAllowedNetworks(['127.0.0.0/8', '::1/128', 'scim.internal', '10.0.0.0/33', 'http://x', 'a b'])).toEqual(['10.0.0.0/33', 'http://x', 'a b']);
    expect(() => new OutboundAddressPolicy(['nope nope'])).toThrow(/not a CIDR/);
  });
});
