import { useEffect, useState, type ReactElement } from 'react';
import type { SweepSummary } from '../../../../shared/domain/optimize';
import { call, getBackend, hasBackend } from '../../api/client';
import { Icon } from '../../components/icons';
import { Empty, ErrorState, Loading, Panel, StatusPill } from '../../components/states';
import { formatAgo, formatInt } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { navigate, useRoute } from '../../stores/route';
import { SweepForm } from './SweepForm';
import { SweepPage } from './SweepPage';

/** Optimize: parameter sweeps and strategy comparisons; `#/optimize/<sweepId>` opens one. */
export function OptimizeView(): ReactElement {
  const sweepId = useRoute((r) => r.runId);
  const [showForm, setShowForm] = useState(true);
  const list = useAsync(() => call('optimize.list', {}), []);
  useEffect(() => {
    if (!hasBackend()) return undefined;
    // The list's counts follow the sweeps (a refetch now and then is enough for a list).
    let last = 0;
    return getBackend().subscribe('optimize.progress', () => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      list.reload();
    });
  }, []);
  if (sweepId) return <SweepPage key={sweepId} sweepId={sweepId} />;
  const sweeps: SweepSummary[] = list.data?.sweeps ?? [];
  return (
    <div className="page" data-testid="optimize-view">
      <div className="page-head">
        <h1>Optimize</h1>
        <span className="sub">Parameter sweeps, walk-forward and strategy comparisons</span>
        <div className="spacer" />
        {!showForm && (
          <button type="button" className="btn primary" onClick={() => setShowForm(true)}>
            <Icon name="plus" size={14} /> New sweep
          </button>
        )}
      </div>
      <div className={showForm ? 'split' : undefined}>
        {showForm && (
          <Panel title="New sweep" testId="new-sweep">
            <SweepForm onCancel={() => setShowForm(false)} />
          </Panel>
        )}
        <Panel title="Sweeps" flush>
          {list.status === 'loading' && !list.data ? (
            <Loading />
          ) : list.status === 'error' ? (
            <ErrorState error={list.error} onRetry={list.reload} />
          ) : sweeps.length === 0 ? (
            <Empty title="No sweeps yet">Start one with the form.</Empty>
          ) : (
            <table className="data" data-testid="sweeps-list">
              <thead>
                <tr>
                  <th>Sweep</th>
                  <th>Status</th>
                  <th className="num">Trials</th>
                  <th className="num">Best</th>
                  <th>Started</th>
                </tr>
              </thead>
              <tbody>
                {sweeps.map((s) => (
                  <tr key={s.sweepId} className="clickable" data-row-id={s.sweepId} onClick={() => navigate({ view: 'optimize', runId: s.sweepId })}>
                    <td>{s.name ?? s.definition.strategies.map((x) => x.strategyName).join(', ')}</td>
                    <td>
                      <StatusPill status={s.status} />
                    </td>
                    <td className="num">
                      {formatInt(s.done)} / {s.total > 0 ? formatInt(s.total) : '?'}
                    </td>
                    <td className="num">{s.best ? s.best.score.toFixed(3) : '–'}</td>
                    <td>{formatAgo(s.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
      </div>
    </div>
  );
}
