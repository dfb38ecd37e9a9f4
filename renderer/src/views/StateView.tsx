import { useEffect, useState, type ReactElement } from 'react';
import { call } from '../api/client';
import { JsonTree } from '../components/JsonTree';
import { Empty, ErrorState, Loading, Panel, StatusPill } from '../components/states';
import { formatTime } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { navigate, useRoute } from '../stores/route';
import { sortRuns, useRuns } from '../stores/runs';

/** The State view refetches a live run's data at most this often. */
const REFRESH_MS = 500;

function useThrottled(value: number, ms: number): number {
  const [out, setOut] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setOut(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return out;
}

function RunState({ runId }: { runId: string }): ReactElement {
  const version = useThrottled(useRuns((s) => s.versions[runId] ?? 0), REFRESH_MS);
  const state = useAsync(() => call('state.get', { runId }), [runId, version], { keepDataOnChange: true });
  if (state.status === 'loading' && !state.data) return <Loading label="Loading run state…" />;
  if (state.status === 'error' && !state.data) return <ErrorState title="Cannot read the run's state" error={state.error} onRetry={state.reload} />;
  const s = state.data!;
  // State and Memory come one page at a time (the first 1,000 entries); the totals say how many there are.
  const sections: Array<[string, string, unknown[], number?]> = [
    ['Session', 'per strategy, exchange, frame and symbol', s.session],
    ['State', 'per signal and bucket', s.state, s.stateTotal],
    ['Memory', 'per signal, bucket and memory id', s.memory, s.memoryTotal],
    ['Recent', 'the latest signal per symbol', s.recent],
    ['Storage', 'signal rows', s.storage],
  ];
  return (
    <div className="grid-2" data-testid="state-tree" data-version={version}>
      {sections.map(([name, holds, rows, total]) => (
        <Panel key={name} title={total !== undefined && total > rows.length ? `${name} (first ${rows.length} of ${total})` : `${name} (${rows.length})`} actions={<span className="faint">{holds}</span>} testId={`state-${name.toLowerCase()}`}>
          {rows.length === 0 ? (
            <span className="faint">Empty — the strategy has written nothing here yet.</span>
          ) : (
            <JsonTree data={Object.fromEntries(rows.map((r, i) => [labelFor(r, i), r]))} openDepth={rows.length <= 3 ? 1 : 0} rootName={name.toLowerCase()} />
          )}
        </Panel>
      ))}
    </div>
  );
}

function labelFor(row: unknown, i: number): string {
  if (row && typeof row === 'object') {
    const r = row as Record<string, unknown>;
    const parts = [r.symbol, r.signalId, r.bucketName, r.memoryId].filter((v) => typeof v === 'string');
    if (parts.length) return parts.join(' · ');
  }
  return String(i);
}

export function StateView(): ReactElement {
  const runs = sortRuns(useRuns((s) => s.byId));
  const loaded = useRuns((s) => s.loaded);
  const error = useRuns((s) => s.error);
  const routeRun = useRoute((r) => r.runId);
  const runId = routeRun ?? runs[0]?.runId;
  const run = runs.find((r) => r.runId === runId);
  return (
    <div className="page" data-testid="state-view">
      <div className="page-head">
        <h1>State</h1>
        <span className="sub">Session, State, Memory, Recent and Storage data of a run, updated live</span>
        <div className="spacer" />
        {runs.length > 0 && (
          <label className="field" style={{ minWidth: 320 }}>
            <select aria-label="Run" value={runId} onChange={(e) => navigate({ view: 'state', runId: e.target.value })}>
              {runs.map((r) => (
                <option key={r.runId} value={r.runId}>
                  {r.status === 'running' ? '● ' : ''}
                  {r.strategyName} · {r.symbols.join(',')} · {r.kind} · {formatTime(r.startedAt)}
                </option>
              ))}
            </select>
          </label>
        )}
        {run && <StatusPill status={run.status} />}
      </div>
      {!loaded ? (
        <Loading label="Loading runs…" />
      ) : error && runs.length === 0 ? (
        <ErrorState title="Cannot list runs" error={error} />
      ) : !runId ? (
        <Panel>
          <Empty title="No runs to inspect">Start a paper replay or a live run in Sessions; its strategy state appears here as it changes.</Empty>
        </Panel>
      ) : (
        <RunState key={runId} runId={runId} />
      )}
    </div>
  );
}
