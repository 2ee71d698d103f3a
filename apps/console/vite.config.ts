/**
 * The console is served by the API under `/console/` (same origin, so every call is a relative
 * `/v1/...`); `vite` (the `dev` target, port 5180) proxies `/v1` to the API of `npm start`, or to
 * CONSOLE_API_URL. Everything it loads is in the bundle: no CDN, no web fonts.
 */
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  resolve: {
    // Workspace libs (@invincible/money) resolve to their TypeScript source, as in every project.
    conditions: ['@invincible/source', ...defaultClientConditions],
  },
  build: {
    outDir: '../../dist/apps/console',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    host: '127.0.0.1',
    port: 5180,
    strictPort: true,
    proxy: { '/v1': process.env['CONSOLE_API_URL'] ?? 'http://127.0.0.1:3000' },
  },
  preview: { host: '127.0.0.1', port: 5181, strictPort: true },
});
