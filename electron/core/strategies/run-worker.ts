import { parentPort } from 'node:worker_threads';
import { serveWorker } from '../engine/worker-runtime';
import type { FromWorker, ToWorker } from '../engine/worker-protocol';
import { BUILTIN_STRATEGIES } from './index';

/**
 * Worker-thread entry of a run (bundled as `run-worker.js` in the built app): the thread's
 * composition root. It lives here, beside the strategies it hands to the engine's worker runtime,
 * so the import runs from the strategies down to the engine and no engine module imports them
 * (the engine only knows this file's name: engine/worker-entry.ts).
 */
if (!parentPort) throw new Error('run-worker must be started as a worker thread');
const port = parentPort;
serveWorker({
  post: (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer),
  onMessage: (listener: (message: ToWorker) => void) => port.on('message', listener),
}, { builtins: BUILTIN_STRATEGIES });
