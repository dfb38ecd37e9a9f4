import type { TrialOutcome } from './trial-replay';
import type { TrialSpec } from './trial-spec';

/** Messages between a TrialPool and its worker threads. */
export type ToTrialWorker = { type: 'trial'; id: number; spec: TrialSpec; files: Record<string, string>; strategiesDir?: string };
export type FromTrialWorker = { type: 'ready' } | { type: 'result'; id: number; outcome: TrialOutcome };
