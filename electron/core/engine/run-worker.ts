import { parentPort } from 'node:worker_threads';
import { BUILTIN_STRATEGIES } from '../strategies';
import { serveWorker } from './worker-runtime';
import type { FromWorker, ToWorker } from './worker-protocol';

/**
 * Worker-thread entry of a run (bundled as `run-worker.js` in the built app): the thread's
 * composition root, so it is what hands the app's built-in strategies to the engine (no engine
 * module imports them).
 */
if (!parentPort) throw new Error('run-worker must be started as a worker thread');
const port = parentPort;
serveWorker({
  post: (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer),
  onMessage: (listener: (message: ToWorker) => void) => port.on('message', listener),
}, { builtins: BUILTIN_STRATEGIES });
