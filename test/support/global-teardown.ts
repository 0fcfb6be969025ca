/** Jest global teardown: stops what the global setup started, newest first. */
export default async function globalTeardown(): Promise<void> {
  const steps = globalThis.__SCIM_IMPORT_TEARDOWN__ ?? [];
  for (const step of steps.reverse()) {
    try {
      await step();
    } catch (err) {
      console.error('teardown step failed:', err instanceof Error ? err.message : err);
    }
  }
}
