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
        byId[p.runId] = { ...run, status: run.status === 'queued' ? 'running' : run.status, progress: p.progress, processed: p.processed, total: p.total, etaMs: p.etaMs };
      }
      return { byId };
    });
  },
  applyEvents(batch) {
    set((s) => {
      const byId = { ...s.byId };
      const versions = { ...s.versions };
      for (const e of batch) {
        // Progress and notifications have their own stores; signals, state and status change what a run page shows.
        if (e.type !== 'progress' && e.type !== 'notification') versions[e.runId] = (versions[e.runId] ?? 0) + 1;
        const run = byId[e.runId];
        if (!run) continue;
        if (e.type === 'progress') {
          byId[e.runId] = { ...run, progress: e.progress, processed: e.processed, total: e.total, etaMs: e.etaMs };
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
      return { byId, versions };
    });
  },
}));

/** Newest first. */
export function sortRuns(byId: Record<string, RunSummary>): RunSummary[] {
  return Object.values(byId).sort((a, b) => b.createdAt - a.createdAt);
}

export const isActive = (run: RunSummary): boolean => run.status === 'running' || run.status === 'queued';
