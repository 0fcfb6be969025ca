import type { DataSource } from 'typeorm';
import { ConnectorRepository, Db, connectorScimConfig, type SecretBox } from '@app/persistence';
import type { AppConfig } from '@app/config';
import { OutboundAddressPolicy, ScimClient, SecretScrubber, type ScimAuth, type ScimClientOptions, type ScimConnectionConfig, type ScimLogger } from '@app/scim';
import { ImportConfigError } from '../errors/import-errors';
import { failClosedRedactor } from '../infrastructure/fail-closed-redactor';

/**
 * Builds the SCIM client of a connector; tests and benchmarks may inject their own. `signal` is the
 * activity's cancellation: it aborts the request in flight.
 */
export type ScimClientFactory = (config: ScimConnectionConfig, options?: ScimConnectionOptions) => ScimClient;

/** What a run gives the client of its connector: a logger, metrics hooks and its cancellation. */
export type ScimConnectionOptions = Pick<ScimClientOptions, 'logger' | 'metrics' | 'signal' | 'processPageLimitBytes'>;

export const defaultScimClientFactory: ScimClientFactory = (config, options) => new ScimClient(config, options);

/**
 * The factory runs and previews use: clients whose every connection (base URL and OAuth2 token
 * URL, checked after DNS when the socket opens) avoids the loopback, link-local and metadata
 * addresses the deployment does not allow (OUTBOUND_ALLOWED_NETWORKS).
 */
export function scimClientFactoryFor(config: Pick<AppConfig, 'outboundAllowedNetworks'>): ScimClientFactory {
  const addressPolicy = new OutboundAddressPolicy(config.outboundAllowedNetworks);
  return (connection, options) => new ScimClient(connection, { ...options, addressPolicy });
}
/** The logger with this connector's secrets removed from every message and field. */
function redactingLogger(logger: ScimLogger, redact: (text: string) => string): ScimLogger {
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return redact(value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value && typeof value === 'object' && !(value instanceof Date)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
    return value;
  };
  const clean = (meta?: object) => (meta ? (scrub(meta) as object) : undefined);
  return {
    debug: (msg, meta) => logger.debug(redact(msg), clean(meta)),
    warn: (msg, meta) => logger.warn(redact(msg), clean(meta)),
  };
}

/** A client plus a redactor that removes this connector's secrets from any text. */
export interface OpenScimConnection {
  client: ScimClient;
  redact(text: string): string;
}

/** Removes each secret (and URL user-info) from a text before it reaches a log, a failure or a datacard. */
export function secretRedactor(secrets: Array<string | undefined>): (text: string) => string {
  // short values would blank out ordinary words; a 1-3 character secret is not worth hiding that way
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
    for (const v of values) out = out.split(v).join('***');
    return out;
  };
}

/** Every known spelling of a connector's secrets (and pieces of them, see SecretScrubber) and URL user-info removed. */
function authRedactor(auth: ScimAuth): (text: string) => string {
  const scrubber = SecretScrubber.forAuth(auth);
  const userInfo = secretRedactor([]);
  return (text) => scrubber.scrub(userInfo(text));
}

/**
 * Decrypts the connector's secret (only ever inside an activity) and opens a SCIM client.
 * Callers must close the client.
 */
export async function openScimConnection(
  dataSource: DataSource,
  secretBox: SecretBox,
  connectorId: string,
  factory: ScimClientFactory,
  options: ScimConnectionOptions = {},
): Promise<OpenScimConnection> {
  const connector = await new ConnectorRepository(Db.fromDataSource(dataSource)).get(connectorId);
  if (!connector) throw new ImportConfigError(`connector ${connectorId} does not exist`);
  const config = connectorScimConfig(connector, secretBox);
  // every wire form of the credentials (Base64 Basic pair, encodings), plus the access tokens the client was issued
  const forms = authRedactor(config.auth);
  // the logger is made before the client, so it looks the client up when it writes
  const issued: { client?: ScimClient } = {};
  const redact = (text: string) => (issued.client ? issued.client.redact(forms(text)) : forms(text));
  const logger = options.logger && redactingLogger(options.logger, redact);
  const client = (issued.client = factory(config, { ...options, logger }));
  return { client, redact };
}

/**
 * The redactor for a connector without opening a client (used when recording a failure). When
 * the connector or its secrets cannot be read it fails closed (failClosedRedactor).
 */
export async function connectorRedactor(dataSource: DataSource, secretBox: SecretBox, connectorId: string | undefined): Promise<(text: string) => string> {
  if (!connectorId) return failClosedRedactor();
  try {
    const connector = await new ConnectorRepository(Db.fromDataSource(dataSource)).get(connectorId);
    if (!connector) return failClosedRedactor();
    const { auth } = connectorScimConfig(connector, secretBox);
    return authRedactor(auth);
  } catch {
    return failClosedRedactor();
  }
}
