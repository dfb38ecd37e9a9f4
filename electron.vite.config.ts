import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;
const runWorker = resolve(root, 'electron/core/strategies/run-worker.ts');
const optimizeWorker = resolve(root, 'electron/core/optimize/trial-thread.ts');

/**
 * out/main:     index.js (Electron main), server.js (the headless host, plain Node) and
 *               run-worker.js (the engine's worker thread), all flat so the worker sits next to
 *               the chunk that starts it.
 * out/preload:  index.cjs (sandboxed preloads must be CommonJS).
 * out/renderer: the React app.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          server: resolve(root, 'electron/server/main.ts'),
          ...(existsSync(runWorker) ? { 'run-worker': runWorker } : {}),
          // The optimize trials' worker thread (electron/core/optimize/trial-pool.ts finds it by this name).
          ...(existsSync(optimizeWorker) ? { 'optimize-worker': optimizeWorker } : {}),
        },
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
