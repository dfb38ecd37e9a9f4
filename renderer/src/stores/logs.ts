import { create } from 'zustand';
import type { LogLine } from '../../../shared/contract/domain';

export const LOG_CAP = 2000;

interface LogsState {
  /** Oldest first, like the file. */
  lines: LogLine[];
  loaded: boolean;
  error?: string;
  reset(lines: LogLine[]): void;
  applyLive(batch: LogLine[]): void;
  setError(error: string): void;
}

export const useLogs = create<LogsState>((set) => ({
  lines: [],
  loaded: false,
  reset(lines) {
    set({ lines: [...lines].sort((a, b) => a.at - b.at).slice(-LOG_CAP), loaded: true, error: undefined });
  },
  applyLive(batch) {
    set((s) => {
      const have = new Set(s.lines.slice(-batch.length * 2).map((l) => l.entryId));
      const fresh = batch.filter((l) => !have.has(l.entryId));
      if (fresh.length === 0) return s;
      const lines = s.lines.concat(fresh);
      return { lines: lines.length > LOG_CAP ? lines.slice(-LOG_CAP) : lines };
    });
  },
  setError(error) {
    set({ error, loaded: true });
  },
}));
