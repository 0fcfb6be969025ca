import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';

/**
 * Which addresses outbound HTTP (SCIM sources, OAuth token endpoints, later webhooks) may reach.
 * Loopback, link-local (cloud metadata services live at 169.254.169.254), "this host" and a few
 * metadata addresses are refused unless the deployment allows them; private RFC 1918 / ULA
 * networks are normal for on-premises SCIM servers and stay allowed.
 */

interface Address {
  family: 4 | 6;
  bytes: number[];
}

interface Range extends Address {
  prefix: number;
  /** why this range is refused, in words an operator understands */
  label: string;
}

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function parseIPv6(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(s) !== 6) return undefined;
  // a trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const v4 = parseIPv4(quad[1]) as number[];
    s = `${s.slice(0, -quad[1].length)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An IPv4 or IPv6 address (IPv6 may come in brackets, as in a URL); undefined for anything else. */
function parseAddress(text: string): Address | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

const zeros = (bytes: number[], from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);

/**
 * The IPv4 address an IPv6 address stands for, where one does: IPv4-mapped (::ffff:a.b.c.d, which
 * connects to a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
 */
function embeddedIPv4(a: Address): Address | undefined {
  if (a.family !== 6) return undefined;
  const b = a.bytes;
  const mapped = zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff;
  const compatible = zeros(b, 0, 12) && !zeros(b, 12, 15); // not :: and not ::1
  const nat64 = b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(b, 4, 12);
  return mapped || compatible || nat64 ? { family: 4, bytes: b.slice(12) } : undefined;
}

function inRange(a: Address, r: Omit<Range, 'label'>): boolean {
  if (a.family !== r.family) return false;
  for (let bit = 0; bit < r.prefix; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((a.bytes[bit >> 3] & mask) !== (r.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

function range(cidr: string, label: string): Range {
  const [ip, prefix] = cidr.split('/');
  const a = parseAddress(ip) as Address;
  return { ...a, prefix: Number(prefix), label };
}

/** Refused unless allowed: where a request would reach this host itself or a cloud's metadata service. */
const REFUSED: Range[] = [
  range('0.0.0.0/8', '"this host" (0.0.0.0/8 reaches the local machine)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local (cloud metadata services such as 169.254.169.254 live there)'),
  range('100.100.100.200/32', 'a cloud metadata service (Alibaba Cloud)'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved (broadcast)'),
  range('::/128', 'unspecified (reaches the local machine)'),
  range('::1/128', 'loopback'),
  range('fe80::/10', 'link-local'),
  range('fd00:ec2::254/128', 'a cloud metadata service (AWS, IPv6)'),
  range('ff00::/8', 'multicast'),
];

/** One entry of an allow-list: a CIDR, a single address, or a host name. */
type Allowed = { kind: 'range'; range: Omit<Range, 'label'> } | { kind: 'host'; host: string };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** Parses one allow-list entry; undefined when it is none of CIDR, address or host name. */
function parseAllowed(entry: string): Allowed | undefined {
  const text = entry.trim();
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const a = parseAddress(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    if (!a || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > (a.family === 4 ? 32 : 128)) return undefined;
    return { kind: 'range', range: { ...a, prefix: Number(prefixText) } };
  }
  const a = parseAddress(text);
  if (a) return { kind: 'range', range: { ...a, prefix: a.family === 4 ? 32 : 128 } };
  const host = normaliseHost(text);
  return HOST_NAME.test(host) ? { kind: 'host', host } : undefined;
}

/** The entries of an allow-list that are not a CIDR, an IP address or a host name (for configuration errors). */
export function invalidAllowedNetworks(entries: string[]): string[] {
  return entries.filter((e) => parseAllowed(e) === undefined);
}

/** A refused outbound address: thrown by the guarded DNS lookup, and what a check reports. */
export class OutboundAddressRefusedError extends Error {
  override readonly name = 'OutboundAddressRefusedError';
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';
}

/** The first OutboundAddressRefusedError in an error's cause chain (undici wraps socket errors). */
export function outboundRefusalIn(err: unknown): OutboundAddressRefusedError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 8; depth++) {
    if (e instanceof OutboundAddressRefusedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

type LookupAll = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: LookupAll = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/**
 * The outbound address rule of a deployment: refused ranges minus what it allows (CIDRs, addresses
 * or host names, e.g. `127.0.0.0/8,::1` for a SCIM server on the same machine).
 */
export class OutboundAddressPolicy {
  private readonly ranges: Array<Omit<Range, 'label'>> = [];
  private readonly hosts = new Set<string>();

  /** @param allowed entries that are allowed despite the rule; an invalid one throws */
  constructor(allowed: string[] = []) {
    for (const entry of allowed) {
      const parsed = parseAllowed(entry);
      if (!parsed) throw new Error(`"${entry}" is not a CIDR, an IP address or a host name`);
      if (parsed.kind === 'range') this.ranges.push(parsed.range);
      else this.hosts.add(parsed.host);
    }
  }

  /** Why a connection to this IP address is refused, or undefined when it is allowed. */
  refusalForAddress(ip: string): string | undefined {
    const a = parseAddress(ip);
    if (!a) return undefined;
    const candidates = [a, embeddedIPv4(a)].filter((x): x is Address => x !== undefined);
    if (candidates.some((c) => this.ranges.some((r) => inRange(c, r)))) return undefined;
    for (const c of candidates) {
      const hit = REFUSED.find((r) => inRange(c, r));
      if (hit) return `${normaliseHost(ip)} is ${hit.label}`;
    }
    return undefined;
  }

  /** Whether the host name itself is allowed (listed), whatever it resolves to. */
  hostAllowed(hostname: string): boolean {
    return this.hosts.has(normaliseHost(hostname));
  }

  /**
   * Why a connection to this host is refused, looking the name up in DNS (every address it
   * resolves to must be allowed); undefined when it is allowed or does not resolve (then nothing
   * can connect to it; the connect-time check applies if it later does).
   */
  async refusalForHost(hostname: string, resolveAll: LookupAll = systemLookup, timeoutMs = 3000): Promise<string | undefined> {
    const host = normaliseHost(hostname);
    if (this.hostAllowed(host)) return undefined;
    if (parseAddress(host)) return this.refusalForAddress(host);
    let timer: NodeJS.Timeout | undefined;
    const addresses = await Promise.race([
      resolveAll(host).catch(() => [] as LookupAddress[]),
      new Promise<LookupAddress[]>((resolve) => (timer = setTimeout(() => resolve([]), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    for (const { address } of addresses) {
      const refusal = this.refusalForAddress(address);
      if (refusal) return `${host} resolves to ${refusal.replace(/^\S+ is /, `${address}, `)}`;
    }
    return undefined;
  }

  /** Why a request to this http(s) URL is refused (the URL parser has already turned 2852039166 or 0xa9fe.0xa9fe into 169.254.169.254). */
  async refusalForUrl(url: string, resolveAll?: LookupAll): Promise<string | undefined> {
    let hostname: string;
    try {
      hostname = new URL(url).hostname;
    } catch {
      return undefined; // not a URL: the syntax rules report that
    }
    return this.refusalForHost(hostname, resolveAll);
  }

  /**
   * A drop-in for `dns.lookup` (net/tls `lookup` option) that refuses a name resolving to a refused
   * address at connect time, so DNS rebinding cannot slip past a check made when the URL was saved.
   */
  readonly lookup = (hostname: string, options: object | number | undefined, callback: (...args: unknown[]) => void): void => {
    const opts = typeof options === 'object' && options !== null ? (options as { all?: boolean; family?: number }) : { family: options };
    dnsLookup(hostname, { ...opts, all: true, verbatim: true } as { all: true }, (err, addresses) => {
      if (err) return callback(err);
      if (!this.hostAllowed(hostname)) {
        for (const { address } of addresses) {
          const refusal = this.refusalForAddress(address);
          if (refusal) return callback(new OutboundAddressRefusedError(`${hostname} resolves to ${refusal.replace(/^\S+ is /, `${address}, `)}; ${ALLOW_HINT}`));
        }
      }
      if (opts.all) return callback(null, addresses);
      const first = addresses[0];
      return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
    });
  };

  /** Throws OutboundAddressRefusedError for an IP literal host that is refused (a lookup never runs for those). */
  assertLiteralAllowed(hostname: string): void {
    const host = normaliseHost(hostname);
    if (!parseAddress(host) || this.hostAllowed(host)) return;
    const refusal = this.refusalForAddress(host);
    if (refusal) throw new OutboundAddressRefusedError(`${refusal}; ${ALLOW_HINT}`);
  }
}

/** The setting that lifts the rule, named in every refusal. */
export const ALLOW_HINT = 'connections there are refused unless OUTBOUND_ALLOWED_NETWORKS lists it';

/**
 * undici `connect` options with the policy applied when the socket is opened: IP literals are
 * checked before connecting, names through the policy's lookup. Without a policy, the options as given.
 */
export function guardedConnect(policy: OutboundAddressPolicy | undefined, options: buildConnector.BuildOptions): buildConnector.BuildOptions | buildConnector.connector {
  if (!policy) return options;
  const connect = buildConnector({ ...options, lookup: policy.lookup } as buildConnector.BuildOptions);
  return (opts, callback) => {
    try {
      policy.assertLiteralAllowed(opts.hostname);
    } catch (err) {
      callback(err as Error, null);
      return;
    }
    connect(opts, callback);
  };
}
