import { create } from 'zustand';
import type { RunSummary } from '../../../shared/contract/domain';
import type { EventPayload } from '../../../shared/contract/events';

type Progress = EventPayload<'run.progress'>;
type RunEvent = EventPayload<'run.event'>;

interface RunsState {
  byId: Record<string, RunSummary>;
  loaded: boolean;
  error?: string;
  /** Bumped per run on every signal/state event, so open run pages and the State view refetch. */
  versions: Record<string, number>;
  /**
   * Closed trades of running runs counted from their signal events (a summary carries statistics
   * only once the run ends). Kept apart from `byId`, which a runs.list replaces.
   */
  live: Record<string, LiveTally>;
}

export interface LiveTally {
  trades: number;
  open: number;
  /** Compounded at 100% position size, percent. */
  returnPercent: number;
  seen: string[];
}

interface RunsActions {
  reset(runs: RunSummary[]): void;
  upsert(run: RunSummary): void;
  setError(error: string): void;
  applyProgress(batch: Progress[]): void;
  applyEvents(batch: RunEvent[]): void;
}

export const useRuns = create<RunsState & RunsActions>((set) => ({
  byId: {},
  loaded: false,
  versions: {},
  live: {},
  reset(runs) {
    set({ byId: Object.fromEntries(runs.map((r) => [r.runId, r])), loaded: true, error: undefined });
  },
  upsert(run) {
    set((s) => ({ byId: { ...s.byId, [run.runId]: run } }));
  },
  setError(error) {
    set({ error, loaded: true });
  },
  applyProgress(batch) {
    set((s) => {
      const byId = { ...s.byId };
      for (const p of batch) {
        const run = byId[p.runId];
        // Progress for a run we have not listed yet: the next runs.list (triggered by run.started) brings it.
        if (!run) continue;
        byId[p.runId] = { ...run, status: run.status === 'queued' ? 'running' : run.status, progress: p.progress, processed: p.processed, total: p.total, etaMs: p.etaMs, tally: p.tally ?? run.tally };
      }
      return { byId };
    });
  },
  applyEvents(batch) {
    set((s) => {
      const byId = { ...s.byId };
      const versions = { ...s.versions };
      let live = s.live;
      for (const e of batch) {
        if (e.type === 'signal' && (e.transition === 'closed' || e.transition === 'opened')) {
          const t = live[e.runId] ?? { trades: 0, open: 0, returnPercent: 0, seen: [] };
          const key = `${e.signal.signalId}:${e.transition}`;
          if (!t.seen.includes(key)) {
            const closed = e.transition === 'closed';
            const pnl = closed ? (e.signal.pnlPercent ?? 0) : 0;
            live = {
              ...live,
              [e.runId]: {
                trades: t.trades + (closed ? 1 : 0),
                open: Math.max(0, t.open + (closed ? -1 : 1)),
                returnPercent: closed ? ((1 + t.returnPercent / 100) * Math.max(0, 1 + pnl / 100) - 1) * 100 : t.returnPercent,
                // Only the last few keys: a reconnect replays recent events, not a whole history.
                seen: [...t.seen.slice(-200), key],
              },
            };
          }
        }
        // Progress and notifications have their own stores; signals, state and status change what a run page shows.
        if (e.type !== 'progress' && e.type !== 'notification') versions[e.runId] = (versions[e.runId] ?? 0) + 1;
        const run = byId[e.runId];
        if (!run) continue;
        if (e.type === 'progress') {
          byId[e.runId] = { ...run, progress: e.progress, processed: e.processed, total: e.total, etaMs: e.etaMs, tally: e.tally ?? run.tally };
        } else if (e.type === 'status') {
          const final = e.status === 'completed' || e.status === 'failed' || e.status === 'stopped';
          byId[e.runId] = {
            ...run,
            status: e.status,
            progress: e.status === 'completed' ? 1 : run.progress,
            stats: e.stats ?? run.stats,
            error: e.error ?? run.error,
            endedAt: final ? e.at : run.endedAt,
          };
        }
      }
      return { byId, versions, live };
    });
  },
}));

/** Newest first. */
export function sortRuns(byId: Record<string, RunSummary>): RunSummary[] {
  return Object.values(byId).sort((a, b) => b.createdAt - a.createdAt);
}

export const isActive = (run: RunSummary): boolean => run.status === 'running' || run.status === 'queued';
