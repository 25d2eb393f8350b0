// The playground's build: a static site in playground/dist. Threads need a cross-origin-isolated
// page, so the dev and preview servers send COOP/COEP (static hosts: see public/_headers and the
// README). The library is used from source, as `shareformer`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: { shareformer: fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
  },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000, sourcemap: true },
});
