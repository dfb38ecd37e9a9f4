import { useState, type ReactElement } from 'react';
import type { RunSummary } from '../../../../shared/contract/domain';
import { call, errorMessage } from '../../api/client';
import { refreshRuns } from '../../api/session';
import { Icon } from '../../components/icons';
import { Empty, ErrorState, Loading, ProgressBar, StatusPill } from '../../components/states';
import { formatDuration, formatPercent, formatTime, signClass } from '../../lib/format';
import { navigate } from '../../stores/route';
import { useCompare } from '../../stores/compare';
import { isActive, sortRuns, useRuns } from '../../stores/runs';
import { RunActions, runTitle } from './RunActions';

const KIND_LABEL: Record<RunSummary['kind'], string> = { backtest: 'Backtest', live: 'Live', paper: 'Paper' };

export function StopButton({ run }: { run: RunSummary }): ReactElement | null {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (!isActive(run)) return null;
  return (
    <button
      type="button"
      className="btn small danger"
      disabled={busy}
      title={error}
      data-testid="stop-run"
      onClick={(e) => {
        e.stopPropagation();
        setBusy(true);
        call('runs.stop', { runId: run.runId })
          .then(() => refreshRuns())
          .catch((err: unknown) => setError(errorMessage(err)))
          .finally(() => setBusy(false));
      }}
    >
      <Icon name="stop" size={12} /> {busy ? 'Stopping…' : 'Stop'}
    </button>
  );
}

function RunRow({ run }: { run: RunSummary }): ReactElement {
  const tally = useRuns((s) => s.live[run.runId]);
  const active = isActive(run);
  // Finished runs: the run's own statistics; running ones: what their events have closed so far.
  // A running backtest sends no per-signal events: its workers' progress carries the trades closed so far and their summed PnL.
  const workerTally = active && !tally ? run.tally : undefined;
  const trades = run.stats?.trades ?? (active ? (tally?.trades ?? workerTally?.trades ?? 0) : undefined);
  const ret = run.stats ? (run.stats.returnPercent ?? run.stats.totalPnlPercent) : active ? (tally?.returnPercent ?? workerTally?.pnlPercent ?? 0) : undefined;
  const started = run.startedAt ?? run.createdAt;
  const ticked = useCompare((s) => s.ids.includes(run.runId));
  return (
    <tr className="clickable" onClick={() => navigate({ view: 'sessions', runId: run.runId })} data-run-id={run.runId} data-testid="run-row">
      <td>
        <div style={{ display: 'flex', alignItems: 'center', gap: 6 }}>
          <input
            type="checkbox"
            aria-label={`Compare ${run.strategyName} ${run.runId.slice(0, 8)}`}
            data-testid="compare-tick"
            checked={ticked}
            onClick={(e) => e.stopPropagation()}
            onChange={() => useCompare.getState().toggle(run.runId)}
          />
          <StatusPill status={run.status} />
        </div>
      </td>
      <td className="run-cell">
        <div style={{ display: 'flex', alignItems: 'center', gap: 2 }}>
          <div className="run-name" style={{ flex: 1, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis' }} title={runTitle(run)} data-testid="run-name">
            {runTitle(run)}
          </div>
          <RunActions run={run} compact />
        </div>
        <div className="faint run-sub" title={`${run.name ? `${run.strategyName} · ` : ''}${KIND_LABEL[run.kind]} · ${run.exchangeName} · ${run.symbols.join(', ')} · ${run.interval}`}>
          {run.name ? `${run.strategyName} · ` : ''}
          {KIND_LABEL[run.kind]} · {run.symbols.join(', ')} · {run.interval}
        </div>
      </td>
      <td className="progress-cell">
        <div style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
          <ProgressBar value={run.progress} status={run.status} />
          <span className="num dim" data-testid="run-progress">
            {Math.round(run.progress * 100)}%
          </span>
          <StopButton run={run} />
        </div>
        {active && run.etaMs !== undefined && <div className="faint num" style={{ textAlign: 'left' }}>ETA {formatDuration(run.etaMs)}</div>}
      </td>
      <td className="num" data-testid="run-trades" title={active ? 'Closed so far' : 'Closed trades'}>
        {trades ?? '—'}
      </td>
      <td className={`num ${signClass(ret)}`} data-testid="run-return" title={active ? (workerTally ? 'Sum of the PnL of the trades closed so far (compounded at the end)' : 'Compounded return of the trades closed so far') : 'Compounded return'}>
        {formatPercent(ret)}
      </td>
      <td className="num dim" title={`${formatTime(started)} UTC`}>
        {formatTime(started).slice(5)}
      </td>
    </tr>
  );
}

export function RunsList(): ReactElement {
  const byId = useRuns((s) => s.byId);
  const loaded = useRuns((s) => s.loaded);
  const error = useRuns((s) => s.error);
  const runs = sortRuns(byId);
  if (!loaded) return <Loading label="Loading runs…" />;
  if (error && runs.length === 0) return <ErrorState title="Cannot list runs" error={error} onRetry={() => void refreshRuns()} />;
  if (runs.length === 0) {
    return (
      <Empty title="No runs yet">
        Start a backtest, a paper replay or a live run with the New session form. You need stored candles: import or download them in Candles.
      </Empty>
    );
  }
  return (
    <div className="table-scroll" style={{ maxHeight: 'none' }}>
      <table className="data runs-table" data-testid="runs-table">
        <thead>
          <tr>
            <th>Status</th>
            <th>Run</th>
            <th>Progress</th>
            <th className="num">Trades</th>
            <th className="num">Return</th>
            <th className="num">Started (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <RunRow key={r.runId} run={r} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
