import type { ReactElement } from 'react';
import type { RunDetail, RunStats } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { CompareEquityChart } from '../../components/EquityChart';
import { Icon } from '../../components/icons';
import { ErrorState, Loading, Panel } from '../../components/states';
import { formatDuration, formatInt, formatPercent, formatTime, signClass } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { useCompare } from '../../stores/compare';
import { navigate } from '../../stores/route';
import { formatMoney, runSettings } from './RunStats';

const COLORS = ['var(--accent)', 'var(--warn)', 'var(--up)', '#a78bfa', '#f472b6', '#22d3ee'];

const ratio = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(3));

const ROWS: Array<[string, (s: RunStats | undefined, r: RunDetail) => string, ((s: RunStats | undefined) => number | null | undefined)?]> = [
  ['Trades', (s) => formatInt(s?.trades)],
  ['Win rate', (s) => (s?.winRate === null || s?.winRate === undefined ? '—' : `${(s.winRate * 100).toFixed(1)}%`)],
  ['Return', (s) => formatPercent(s?.returnPercent), (s) => s?.returnPercent],
  ['Final balance', (s) => formatMoney(s?.finalBalance)],
  ['Max drawdown', (s) => (s?.equityMaxDrawdownPercent === undefined ? '—' : `${s.equityMaxDrawdownPercent.toFixed(2)}%`)],
  ['Sum of trade PnL', (s) => formatPercent(s?.totalPnlPercent), (s) => s?.totalPnlPercent],
  ['Profit factor', (s) => ratio(s?.profitFactor)],
  ['Sharpe', (s) => ratio(s?.sharpeRatio)],
  ['Sortino', (s) => ratio(s?.sortinoRatio)],
  ['Expectancy', (s) => formatPercent(s?.expectancy), (s) => s?.expectancy],
  ['Average duration', (s) => (s?.avgDurationMinutes === null || s?.avgDurationMinutes === undefined ? '—' : formatDuration(s.avgDurationMinutes * 60_000))],
  ['Account', (_s, r) => `${formatMoney(runSettings(r).startingBalance)} · ${runSettings(r).positionSizePercent}%`],
  ['Fee + slippage per side', (_s, r) => `${runSettings(r).feePercent}% + ${runSettings(r).slippagePercent}%`],
];

/** Two or more runs side by side: their statistics in one table and their balances on one chart. */
export function ComparePage(): ReactElement {
  const ids = useCompare((s) => s.ids);
  const runs = useAsync(() => Promise.all(ids.map(async (runId) => (await call('runs.get', { runId })).run)), [ids.join(',')]);
  const back = (
    <button type="button" className="btn ghost small" onClick={() => useCompare.getState().setOpen(false)}>
      <Icon name="back" size={14} /> Sessions
    </button>
  );
  return (
    <div className="page" data-testid="compare-page">
      <div className="page-head">
        {back}
        <h1>Compare {ids.length} runs</h1>
        <div className="spacer" />
        <button type="button" className="btn small" onClick={() => useCompare.getState().clear()}>
          Clear selection
        </button>
      </div>
      {runs.status === 'loading' ? (
        <Loading label="Loading runs…" />
      ) : runs.status === 'error' ? (
        <ErrorState title="Cannot load the runs" error={runs.error} onRetry={runs.reload} />
      ) : (
        <>
          <Panel title="Statistics" flush>
            <div className="table-scroll">
              <table className="data" data-testid="compare-table">
                <thead>
                  <tr>
                    <th />
                    {runs.data.map((r, i) => (
                      <th key={r.runId} className="num" title={r.runId}>
                        <button type="button" className="link" onClick={() => navigate({ view: 'sessions', runId: r.runId })} style={{ color: COLORS[i % COLORS.length] }}>
                          {r.name ?? r.strategyName}
                        </button>
                        <div className="faint" style={{ textTransform: 'none', fontWeight: 400 }}>
                          {r.symbols.join(', ')} · {r.interval} · {formatTime(r.from)}
                        </div>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {ROWS.map(([label, text, sign]) => (
                    <tr key={label}>
                      <td className="dim">{label}</td>
                      {runs.data.map((r) => (
                        <td key={r.runId} className={`num ${sign ? signClass(sign(r.stats)) : ''}`}>
                          {text(r.stats, r)}
                        </td>
                      ))}
                    </tr>
                  ))}
                  <tr>
                    <td className="dim">Parameters</td>
                    {runs.data.map((r) => (
                      <td key={r.runId} className="num dim" style={{ whiteSpace: 'normal' }}>
                        {Object.entries(r.params)
                          .map(([k, v]) => `${k}=${String(v)}`)
                          .join(' ')}
                      </td>
                    ))}
                  </tr>
                </tbody>
              </table>
            </div>
          </Panel>
          <Panel title="Return over time (each run against its own starting balance)">
            <CompareEquityChart series={runs.data.map((r, i) => ({ id: r.runId, label: `${r.name ?? r.strategyName} · ${r.symbols.join(', ')}`, color: COLORS[i % COLORS.length]!, points: r.equity }))} />
          </Panel>
        </>
      )}
    </div>
  );
}
