import type { DataSource } from 'typeorm';
import { DatabaseProbe, Db } from '@app/persistence';

/** Activities of the smoke workflow. */
export function createPingActivities(deps: { dataSource: DataSource }) {
  return {
    async ping(message: string): Promise<string> {
      const now = await new DatabaseProbe(Db.fromDataSource(deps.dataSource)).now();
      if (message.length > 200) throw new Error('message too long');
      return now.toISOString();
    },
  };
}

export type PingActivities = ReturnType<typeof createPingActivities>;
