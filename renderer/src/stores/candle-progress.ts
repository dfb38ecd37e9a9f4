import { create } from 'zustand';
import type { EventPayload } from '../../../shared/contract/events';

export type CandleProgress = EventPayload<'candles.progress'>;

interface CandleProgressState {
  /** The latest progress of each kind of operation (the UI runs one import and one download at a time). */
  byOperation: Partial<Record<CandleProgress['operation'], CandleProgress>>;
  apply(batch: CandleProgress[]): void;
  clear(operation: CandleProgress['operation']): void;
}

export const useCandleProgress = create<CandleProgressState>((set) => ({
  byOperation: {},
  apply(batch) {
    set((s) => {
      const byOperation = { ...s.byOperation };
      for (const p of batch) byOperation[p.operation] = p;
      return { byOperation };
    });
  },
  clear(operation) {
    set((s) => ({ byOperation: { ...s.byOperation, [operation]: undefined } }));
  },
}));
