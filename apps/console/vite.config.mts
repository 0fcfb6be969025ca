import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is built into dist/console, which the API serves at `/` (same origin as /api/v1).
// JSX goes through Vite's own transform (React's automatic runtime); no React plugin is needed
// for a production build.
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  build: {
    outDir: resolve(here, '../../dist/console'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // Mantine marks its modules "use client" (for server components); meaningless in a browser bundle
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    // `npx vite apps/console` during development proxies the API of a running `npm run dev`
    proxy: { '/api': 'http://localhost:3000' },
  },
});
