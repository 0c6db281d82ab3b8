// Vite build of the staff workspace. The C server serves web/dist at `/`
// (non-API paths fall back to index.html, assets under /assets/).
import { defineConfig } from 'vite';

export default defineConfig({
  // JSX for Preact. Vite 8 compiles TS/JSX with Oxc (its `esbuild` option is
  // deprecated there); this is the equivalent of
  // `esbuild: { jsx: 'automatic', jsxImportSource: 'preact' }`.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` against a server started with `relatio serve --port 8080`
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
});
