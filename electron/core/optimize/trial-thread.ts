import { parentPort } from 'node:worker_threads';
import { BUILTIN_STRATEGIES } from '../strategies';
import { TrialEngine } from './trial-engine';
import type { FromTrialWorker, ToTrialWorker } from './trial-protocol';

/**
 * Worker-thread entry of optimize trials (bundled as `optimize-worker.js`): the thread's composition
 * root, so it hands the app's built-in strategies over, as run-worker.ts does for runs.
 */
if (!parentPort) throw new Error('the optimize worker must be started as a worker thread');
const port = parentPort;
const engines = new Map<string, TrialEngine>();
const engineFor = (strategiesDir: string | undefined): TrialEngine => {
  const key = strategiesDir ?? '';
  let engine = engines.get(key);
  if (!engine) engines.set(key, (engine = new TrialEngine({ strategiesDir, builtins: BUILTIN_STRATEGIES })));
  return engine;
};
// The pool sends the next trial before this one ends (see DEPTH in trial-pool.ts): trials run one
// after another, in the order they came, never interleaved at their awaits.
let chain: Promise<void> = Promise.resolve();
port.on('message', (m: ToTrialWorker) => {
  chain = chain.then(async () => {
    const outcome = await engineFor(m.strategiesDir).run(m.spec, m.files);
    port.postMessage({ type: 'result', id: m.id, outcome } satisfies FromTrialWorker);
  });
});
port.postMessage({ type: 'ready' } satisfies FromTrialWorker);
