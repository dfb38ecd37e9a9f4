import { INTERVAL_MS } from '../../../shared/candles';
import type { SweepDefinition } from '../../../shared/domain/optimize';

export interface Phase {
  /** `all`, or `w<k>` for walk-forward window k's in-sample search. */
  name: string;
  from: number;
  to: number;
  /** Walk-forward: where the window's best parameters are checked afterwards. */
  outOfSample?: { from: number; to: number };
}

/**
 * The searches of a sweep. Without walk-forward: one over the whole range. With it, the range is cut
 * into `windows` equal segments; each segment's tail (`outOfSamplePercent`) is its out-of-sample
 * check, and the search runs on what precedes it: the segment's head (rolling) or everything from
 * the start of the range (anchored). Boundaries fall on candle opens of the sweep's interval.
 */
export function phasesOf(def: SweepDefinition): Phase[] {
  const wf = def.walkForward;
  if (!wf) return [{ name: 'all', from: def.from, to: def.to }];
  const step = INTERVAL_MS[def.interval];
  const align = (t: number): number => def.from + Math.round((t - def.from) / step) * step;
  const segment = (def.to - def.from) / wf.windows;
  const phases: Phase[] = [];
  for (let k = 0; k < wf.windows; k++) {
    const start = align(def.from + k * segment);
    const end = k === wf.windows - 1 ? def.to : align(def.from + (k + 1) * segment);
    const split = align(end - (end - start) * (wf.outOfSamplePercent / 100));
    if (split <= start || split >= end) {
      throw new Error(`walkForward: window ${k + 1} of ${wf.windows} is too short for a ${wf.outOfSamplePercent}% out-of-sample part at ${def.interval} candles`);
    }
    phases.push({ name: `w${k}`, from: wf.mode === 'anchored' ? def.from : start, to: split, outOfSample: { from: split, to: end } });
  }
  return phases;
}
