import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import {
  ConnectorRepository,
  ImportTaskRepository,
  SecretBox,
  SecretKeyMismatchError,
  connectorScimConfig,
  isUniqueViolation,
  type ConnectorFields,
  type ConnectorRow,
  type ConnectorSecrets,
} from '@app/persistence';
import { ALLOW_HINT, DEFAULT_MAX_RESPONSE_BYTES, OutboundAddressPolicy, ScimClient } from '@app/scim';
import { badRequest, conflict, notFound, ProblemException, unprocessable, type FieldError } from '../common/problem';
import type { ConnectorAuthDto, ConnectorAuthPatchDto, ConnectorView, CreateConnectorDto, UpdateConnectorDto } from './connector.dto';
import { ifMatchAllows, preconditionFailed, versionEtag } from '../common/etag';

function secretsFrom(auth: ConnectorAuthDto | ConnectorAuthPatchDto): ConnectorSecrets {
  if (auth.type === 'basic') return { password: auth.password };
  if (auth.type === 'bearer') return { token: auth.token };
  return { clientSecret: auth.clientSecret };
}

function secretField(type: string): keyof ConnectorSecrets {
  return type === 'basic' ? 'password' : type === 'bearer' ? 'token' : 'clientSecret';
}

function publicAuth(auth: ConnectorAuthDto | ConnectorAuthPatchDto) {
  if (auth.type === 'basic') return { username: auth.username };
  if (auth.type === 'bearer') return {};
  return { clientId: auth.clientId, tokenUrl: auth.tokenUrl, scope: auth.scope };
}

/** Connector CRUD with write-only, encrypted secrets, and connection/authentication tests. */
@Injectable()
export class ConnectorsService {
  private readonly logger = new Logger('connectors');
  private readonly addresses: OutboundAddressPolicy;

  constructor(
    private readonly connectors: ConnectorRepository,
    private readonly tasks: ImportTaskRepository,
    private readonly box: SecretBox,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.addresses = new OutboundAddressPolicy(config.outboundAllowedNetworks);
  }

  /**
   * 422 when a URL of the request reaches a loopback, link-local or metadata address the deployment
   * does not allow (its host as written, or what its name resolves to now; the SCIM client checks
   * again at every connection, so a name that changes later is still refused).
   */
  private async checkAddresses(urls: Array<{ field: string; url: string | undefined }>): Promise<void> {
    const errors: FieldError[] = [];
    for (const { field, url } of urls) {
      const refusal = url === undefined ? undefined : await this.addresses.refusalForUrl(url);
      if (refusal) errors.push({ field, message: `${field}: ${refusal}; ${ALLOW_HINT}` });
    }
    if (errors.length) throw unprocessable(`the connector would reach an address that is not allowed: ${errors.map((e) => e.message).join('; ')}`, errors);
  }

  view(c: ConnectorRow): ConnectorView {
    return {
      id: c.id,
      name: c.name,
      baseUrl: c.baseUrl,
      auth: { type: c.authType, ...c.authPublic, secretSet: c.secretCiphertext.length > 0 },
      pageSize: c.pageSize,
      timeoutMs: c.timeoutMs,
      rateLimitPerSecond: c.rateLimitPerSecond,
      maxResponseBytes: c.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      attributeProjection: c.attributeProjection,
      tls: { ...(c.tls?.caPem ? { caPem: c.tls.caPem } : {}), rejectUnauthorized: c.tls?.rejectUnauthorized ?? true },
      createdAt: c.createdAt.toISOString(),
      updatedAt: c.updatedAt.toISOString(),
    };
  }

  async get(id: string): Promise<ConnectorRow> {
    const c = await this.connectors.get(id);
    if (!c) throw notFound(`connector ${id} not found`);
    return c;
  }

  async list(): Promise<{ items: ConnectorView[]; total: number }> {
    const rows = await this.connectors.list();
    return { items: rows.map((r) => this.view(r)), total: rows.length };
  }

  async create(dto: CreateConnectorDto): Promise<ConnectorRow> {
    const field = secretField(dto.auth.type);
    if (!secretsFrom(dto.auth)[field]) throw badRequest('request validation failed', [{ field: `auth.${field}`, message: `auth.${field} is required for auth type ${dto.auth.type}` }]);
    await this.checkAddresses([
      { field: 'baseUrl', url: dto.baseUrl },
      { field: 'auth.tokenUrl', url: dto.auth.type === 'oauth2' ? dto.auth.tokenUrl : undefined },
    ]);
    const fields: ConnectorFields = {
      name: dto.name.trim(),
      baseUrl: dto.baseUrl.replace(/\/+$/, ''),
      authType: dto.auth.type,
      authPublic: publicAuth(dto.auth),
      secretCiphertext: this.box.seal(secretsFrom(dto.auth)),
      pageSize: dto.pageSize ?? 200,
      timeoutMs: dto.timeoutMs ?? 30000,
      rateLimitPerSecond: dto.rateLimitPerSecond ?? null,
      maxResponseBytes: dto.maxResponseBytes ?? null,
      attributeProjection: dto.attributeProjection ?? true,
      tls: dto.tls ? { caPem: dto.tls.caPem, rejectUnauthorized: dto.tls.rejectUnauthorized ?? true } : null,
    };
    try {
      return await this.connectors.insert(fields);
    } catch (err) {
      throw this.translate(err, fields.name);
    }
  }

  /** The connector's ETag (its version). */
  etag(c: ConnectorRow): string {
    return versionEtag('connector', c.version);
  }

  /** Updates the connector; with `ifMatch`, only the version its sender read (else 412 with the current one). */
  async update(id: string, dto: UpdateConnectorDto, ifMatch?: string): Promise<ConnectorRow> {
    const current = await this.get(id);
    if (!ifMatchAllows(ifMatch, this.etag(current))) throw preconditionFailed(`connector ${id}`, this.view(current), this.etag(current));
    const c: ConnectorFields = { ...current };
    await this.checkAddresses([
      { field: 'baseUrl', url: dto.baseUrl },
      { field: 'auth.tokenUrl', url: dto.auth?.type === 'oauth2' ? dto.auth.tokenUrl : undefined },
    ]);
    if (dto.name !== undefined) c.name = dto.name.trim();
    if (dto.baseUrl !== undefined) c.baseUrl = dto.baseUrl.replace(/\/+$/, '');
    if (dto.pageSize !== undefined) c.pageSize = dto.pageSize;
    if (dto.timeoutMs !== undefined) c.timeoutMs = dto.timeoutMs;
    if (dto.rateLimitPerSecond !== undefined) c.rateLimitPerSecond = dto.rateLimitPerSecond;
    if (dto.maxResponseBytes !== undefined) c.maxResponseBytes = dto.maxResponseBytes;
    if (dto.attributeProjection !== undefined) c.attributeProjection = dto.attributeProjection;
    if (dto.tls !== undefined) c.tls = { caPem: dto.tls.caPem ?? c.tls?.caPem, rejectUnauthorized: dto.tls.rejectUnauthorized ?? c.tls?.rejectUnauthorized ?? true };
    if (dto.auth) {
      const field = secretField(dto.auth.type);
      const given = secretsFrom(dto.auth)[field];
      if (dto.auth.type !== c.authType) {
        const missing = [field, ...(dto.auth.type === 'basic' ? ['username'] : dto.auth.type === 'oauth2' ? ['tokenUrl', 'clientId'] : [])].filter(
          (f) => !(dto.auth as unknown as Record<string, unknown>)[f],
        );
        if (missing.length) {
          throw badRequest('request validation failed', missing.map((f) => ({ field: `auth.${f}`, message: `auth.${f} is required when changing the auth type to ${dto.auth?.type}` })));
        }
      }
      // a rotated secret replaces only itself; omitted secrets keep their stored value
      let secrets: ConnectorSecrets = {};
      if (dto.auth.type === c.authType) {
        try {
          secrets = this.box.open<ConnectorSecrets>(c.secretCiphertext);
        } catch (err) {
          if (!(err instanceof SecretKeyMismatchError) || !given) throw this.secretProblem(err);
        }
      }
      if (given) secrets[field] = given;
      c.authPublic = { ...(dto.auth.type === c.authType ? c.authPublic : {}), ...stripUndefined(publicAuth(dto.auth)) };
      c.authType = dto.auth.type;
      c.secretCiphertext = this.box.seal(secrets);
    }
    let saved: ConnectorRow | null;
    try {
      // with If-Match, the version read above must still be the one written over
      saved = await this.connectors.update(id, changedFields(current, c), ifMatch === undefined ? undefined : current.version);
    } catch (err) {
      throw this.translate(err, c.name);
    }
    if (!saved) throw await this.goneOrChanged(id);
    return saved;
  }

  /** Deletes a connector no task uses; with `ifMatch`, only the version its sender read. */
  async remove(id: string, ifMatch?: string): Promise<void> {
    const current = await this.get(id);
    if (!ifMatchAllows(ifMatch, this.etag(current))) throw preconditionFailed(`connector ${id}`, this.view(current), this.etag(current));
    const users = await this.tasks.namesUsingConnector(id);
    if (users.length) throw conflict(`connector is still used by tasks: ${users.join(', ')}`);
    if (!(await this.connectors.delete(id, ifMatch === undefined ? undefined : current.version))) throw await this.goneOrChanged(id);
  }

  /** A conditional write found nothing to change: the connector is gone (404) or changed meanwhile (412). */
  private async goneOrChanged(id: string): Promise<ProblemException> {
    const now = await this.connectors.get(id);
    return now ? preconditionFailed(`connector ${id}`, this.view(now), this.etag(now)) : notFound(`connector ${id} not found`);
  }

  /** A client for this connector; a changed SECRET_KEY becomes a clear 409. */
  client(c: ConnectorRow): ScimClient {
    let config;
    try {
      config = connectorScimConfig(c, this.box);
    } catch (err) {
      throw this.secretProblem(err);
    }
    return new ScimClient(config, {
      logger: { debug: (m) => this.logger.debug(m), warn: (m) => this.logger.warn(m) },
      maxAttemptsPerRequest: 1,
      addressPolicy: this.addresses,
    });
  }

  async testConnection(id: string) {
    const client = this.client(await this.get(id));
    // the client scrubs secrets where errors are made; scrubbing the answer again costs nothing and guards the API
    const result = await client
      .testConnection()
      .then((r) => ({ ...r, message: client.redact(r.message) }))
      .finally(() => client.close());
    if (!result.ok) throw new ProblemException(502, result.message, undefined, undefined, { ok: false, latencyMs: result.latencyMs, message: result.message });
    return result;
  }

  async testAuthentication(id: string) {
    const c = await this.get(id);
    const client = this.client(c);
    try {
      const reach = await client.testConnection();
      const reachMessage = client.redact(reach.message);
      if (!reach.ok) throw new ProblemException(502, reachMessage, undefined, undefined, { ok: false, message: reachMessage });
      const result = await client.testAuthentication();
      return { ...result, message: client.redact(result.message) };
    } finally {
      await client.close();
    }
  }

  private secretProblem(err: unknown): Error {
    if (err instanceof SecretKeyMismatchError) return conflict(err.message);
    return err instanceof Error ? err : new Error(String(err));
  }

  private translate(err: unknown, name: string): Error {
    if (isUniqueViolation(err)) {
      const errors: FieldError[] = [{ field: 'name', message: `a connector named "${name}" already exists` }];
      return conflict(`a connector named "${name}" already exists`, errors);
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The fields whose value differs from the stored row (a save without changes leaves `updatedAt` as it is). */
function changedFields(stored: ConnectorRow, next: ConnectorFields): Partial<ConnectorFields> {
  const keys = Object.keys(next) as Array<keyof ConnectorFields>;
  return Object.fromEntries(keys.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(stored[k])).map((k) => [k, next[k]]));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
