import type { DataSource } from 'typeorm';

/** Activities of the smoke workflow. */
export function createPingActivities(deps: { dataSource: DataSource }) {
  return {
    async ping(message: string): Promise<string> {
      const rows: Array<{ now: Date }> = await deps.dataSource.query('SELECT now() AS now');
      if (message.length > 200) throw new Error('message too long');
      return rows[0].now.toISOString();
    },
  };
}

export type PingActivities = ReturnType<typeof createPingActivities>;
