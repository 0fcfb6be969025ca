import type { ScimConnectionConfig } from '@app/scim';
import type { ConnectorRow } from './catalog/connector-repository';
import type { SecretBox } from './secret-box';

/** Secrets of a connector as sealed in `secret_ciphertext`. */
export interface ConnectorSecrets {
  password?: string;
  token?: string;
  clientSecret?: string;
}

/** Builds the SCIM client configuration of a connector, decrypting its secret (activities and API only). */
export function connectorScimConfig(c: ConnectorRow, box: SecretBox): ScimConnectionConfig {
  const secrets = box.open<ConnectorSecrets>(c.secretCiphertext);
  const auth: ScimConnectionConfig['auth'] =
    c.authType === 'basic'
      ? { type: 'basic', username: c.authPublic.username ?? '', password: secrets.password ?? '' }
      : c.authType === 'bearer'
        ? { type: 'bearer', token: secrets.token ?? '' }
        : {
            type: 'oauth2',
            tokenUrl: c.authPublic.tokenUrl ?? '',
            clientId: c.authPublic.clientId ?? '',
            clientSecret: secrets.clientSecret ?? '',
            scope: c.authPublic.scope,
          };
  return {
    baseUrl: c.baseUrl,
    auth,
    pageSize: c.pageSize,
    timeoutMs: c.timeoutMs,
    rateLimitPerSecond: c.rateLimitPerSecond ?? undefined,
    maxResponseBytes: c.maxResponseBytes ?? undefined,
    tls: c.tls ?? undefined,
  };
}
