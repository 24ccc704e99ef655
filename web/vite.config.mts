import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = 'http://127.0.0.1:3000';

/**
 * The console: built into dist/web, which the API process serves (one origin, so the session
 * cookie and the bearer calls need no CORS). In development Vite proxies the API's paths to a
 * local API on :3000 for the same reason.
 */
export default defineConfig({
  root,
  // No @vitejs/plugin-react here: Vite 8 compiles JSX itself with oxc (automatic runtime, so no
  // `import React` in every file). Without the plugin there is no Fast Refresh: edits reload.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    rolldownOptions: {
      // Mantine marks its modules "use client" (for React Server Components); a client-only
      // bundle has nothing to keep there, so the warning for each of them is noise.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  server: {
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/docs': { target: api, changeOrigin: false },
      '/health': { target: api, changeOrigin: false },
      // The queue dashboard the admin's Staff page links to (not /admin: the console's own pages).
      '/admin/queues': { target: api, changeOrigin: false },
    },
  },
});
