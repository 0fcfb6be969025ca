import { Client, Connection } from '@temporalio/client';
import type { AppConfig } from '@app/config';

/** Connects a Temporal client for the configured address and namespace. */
export async function connectTemporalClient(config: Pick<AppConfig, 'temporalAddress' | 'temporalNamespace'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 5000 });
  return new Client({ connection, namespace: config.temporalNamespace });
}
