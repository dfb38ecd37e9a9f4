import { useState, type ReactElement } from 'react';
import type { RunSummary } from '../../../../shared/contract/domain';
import { call, errorMessage } from '../../api/client';
import { refreshRuns } from '../../api/session';
import { Icon } from '../../components/icons';
import { Empty, ErrorState, Loading, ProgressBar, StatusPill } from '../../components/states';
import { formatDuration, formatPercent, formatTime, signClass } from '../../lib/format';
import { navigate } from '../../stores/route';
import { isActive, sortRuns, useRuns } from '../../stores/runs';

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
  const pnl = run.stats?.totalPnlPercent;
  return (
    <tr className="clickable" onClick={() => navigate({ view: 'sessions', runId: run.runId })} data-run-id={run.runId} data-testid="run-row">
      <td>
        <StatusPill status={run.status} />
      </td>
      <td>
        <div style={{ fontWeight: 550, whiteSpace: 'nowrap' }}>{run.strategyName}</div>
        <div className="faint" style={{ whiteSpace: 'nowrap' }}>
          {KIND_LABEL[run.kind]} · {run.exchangeName}
        </div>
      </td>
      <td>
        {run.symbols.join(', ')} <span className="faint">· {run.interval}</span>
      </td>
      <td style={{ minWidth: 170 }}>
        <div style={{ display: 'flex', alignItems: 'center', gap: 8 }}>
          <ProgressBar value={run.progress} status={run.status} />
          <span className="num dim" data-testid="run-progress">
            {Math.round(run.progress * 100)}%
          </span>
        </div>
        {isActive(run) && run.etaMs !== undefined && <div className="faint num" style={{ textAlign: 'left' }}>ETA {formatDuration(run.etaMs)}</div>}
      </td>
      <td className="num">{run.stats?.trades ?? '—'}</td>
      <td className={`num ${signClass(pnl)}`}>{formatPercent(pnl)}</td>
      <td className="num dim" title={formatTime(run.startedAt ?? run.createdAt)}>
        {formatTime(run.startedAt ?? run.createdAt).slice(5)}
      </td>
      <td style={{ textAlign: 'right' }}>
        <StopButton run={run} />
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
      <table className="data" data-testid="runs-table">
        <thead>
          <tr>
            <th>Status</th>
            <th>Strategy</th>
            <th>Symbols</th>
            <th>Progress</th>
            <th className="num">Trades</th>
            <th className="num">PnL</th>
            <th className="num">Started (UTC)</th>
            <th />
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
