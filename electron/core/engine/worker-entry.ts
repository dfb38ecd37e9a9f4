import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** File name of the bundled worker in the built app (electron-vite rollup input `run-worker`). */
export const RUN_WORKER_BUNDLE_NAME = 'run-worker.js';

export interface RunWorkerEntry {
  file: string;
  /** True for the TypeScript source (tsx, vitest): it must be loaded through tsx. */
  typescript: boolean;
}

/**
 * The worker entry's source (from this folder): the thread's composition root, which hands the
 * app's built-in strategies to the worker runtime, lives beside those strategies, so no engine
 * module imports them (the engine only knows where the file is).
 */
export const RUN_WORKER_SOURCE = join('..', 'strategies', 'run-worker.ts');

/**
 * Where the run worker's entry is. In the built app electron-vite emits `run-worker.js` next to the
 * bundle that contains this code; from source (tsx, vitest) it is RUN_WORKER_SOURCE. A caller may
 * give its own entry instead (RunManagerOptions.workerEntry).
 */
export function resolveRunWorkerEntry(baseUrl: string = import.meta.url): RunWorkerEntry {
  const here = dirname(fileURLToPath(baseUrl));
  const bundled = join(here, RUN_WORKER_BUNDLE_NAME);
  if (existsSync(bundled)) return { file: bundled, typescript: false };
  const source = join(here, RUN_WORKER_SOURCE);
  if (existsSync(source)) return { file: source, typescript: true };
  throw new Error(`run worker entry not found: neither ${bundled} nor ${source} exists`);
}

/**
 * Starts a run worker. A .js entry starts directly. A .ts entry is imported through tsx's API from
 * a one-line bootstrap: on Node 20 `execArgv: ['--import', 'tsx']` does not apply tsx to a worker's
 * entry ("Unknown file extension .ts"), while `tsImport` does.
 */
export function spawnRunWorker(entry: RunWorkerEntry): Worker {
  if (!entry.typescript) return new Worker(entry.file);
  const url = pathToFileURL(entry.file).href;
  const bootstrap = `import('tsx/esm/api').then((api) => api.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  return new Worker(bootstrap, { eval: true });
}
