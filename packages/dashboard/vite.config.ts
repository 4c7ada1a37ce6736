import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Built files are served by the rivulet server (src/server/dashboard-routes.ts) under a strict CSP
// (script-src 'self'): no inline scripts, so the module preload polyfill is disabled.
export default defineConfig({
  plugins: [preact()],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, modulePreload: { polyfill: false }, sourcemap: false },
});
