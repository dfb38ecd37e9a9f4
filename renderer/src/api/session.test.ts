import { describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../../../shared/contract/domain';
import { useRuns } from '../stores/runs';
import { runSummary } from '../test-support/run-summary';

/** `runs.list` answers, released by the test in the order it chooses. */
const answers: Array<(runs: RunSummary[]) => void> = [];
vi.mock('./client', () => ({
  call: vi.fn(() => new Promise<{ runs: RunSummary[] }>((resolve) => answers.push((runs) => resolve({ runs })))),
  errorMessage: (error: unknown) => String(error),
  setBackend: vi.fn(),
}));

const { refreshRuns } = await import('./session');

const summary = (status: RunSummary['status']): RunSummary => runSummary({ runId: 'fast', status, progress: status === 'completed' ? 1 : 0 });

describe('refreshRuns', () => {
  it('keeps the newest list when an older request is answered after it (a run that finished stays finished)', async () => {
    const older = refreshRuns();
    const newer = refreshRuns();
    // The host answers a list once its writes settle: here the newer request is answered first.
    answers[1]!([summary('completed')]);
    await newer;
    answers[0]!([summary('running')]);
    await older;
    expect(useRuns.getState().byId.fast?.status).toBe('completed');
  });
});
