import { parentPort } from 'node:worker_threads';
import { serveWorker } from './worker-runtime';
import type { FromWorker, ToWorker } from './worker-protocol';

/** Worker-thread entry of a run (bundled as `run-worker.js` in the built app). */
if (!parentPort) throw new Error('run-worker must be started as a worker thread');
const port = parentPort;
serveWorker({
  post: (message: FromWorker) => port.postMessage(message),
  onMessage: (listener: (message: ToWorker) => void) => port.on('message', listener),
});
