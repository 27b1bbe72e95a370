/**
 * Vite build of the pool website: `npm run build` writes the static site to website/dist, the one folder the local
 * API server serves at `/` and the cloud deploy copies to S3 behind CloudFront.
 *
 * - `base: './'`: every asset URL is relative, so the same dist works at a domain root or under a path prefix.
 * - `public/` (config.js, custom.css, custom.js, favicon) is copied verbatim, unhashed: config.js is the runtime
 *   config the cloud deploy overwrites, and the custom.* files are the operator's hooks (the seed's website_example).
 * - `npm run dev` style serving is not used by the pool; tests build once and serve dist through the real API.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  clearScreen: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 200,
  },
});
