import { parseCliArgs, toServerOptions } from './cli-args';
import { startScimDemoServer } from './server';

async function main(): Promise<void> {
  const cli = parseCliArgs(process.argv.slice(2));
  const started = Date.now();
  const server = await startScimDemoServer(toServerOptions(cli));
  const lines = [
    `SCIM demo server listening at ${server.url}`,
    `  basic auth: ${cli.username} / ${cli.password}`,
    ...(cli.token ? [`  bearer token: ${cli.token}`] : []),
    `  data: ${cli.users} users, ${cli.groups} groups, ${cli.devices} devices (seeded in ${Date.now() - started} ms)`,
    ...(Object.keys(cli.quirks).length ? [`  quirks: ${JSON.stringify(cli.quirks)}`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = (): void => {
    void server.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
