import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig, orExit } from '@app/config';
import { createApiApp } from './create-api-app';

async function main(): Promise<void> {
  const config = orExit(() => loadConfig());
  const app = await createApiApp(config);
  await app.listen(config.apiPort, '0.0.0.0');
  new Logger('api').log(`API listening on http://localhost:${config.apiPort} (OpenAPI at /docs)`);
}

main().catch((err: unknown) => {
  // through the application logger once it is installed (JSON in production), Nest's console logger before
  new Logger('api').fatal(`api failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
