import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { INTERVAL_MS } from '../../../../shared/candles';
import type { Notification, RunDetail, SignalRow } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { CandleChart, type ChartLevel, type ChartMarker } from '../../components/CandleChart';
import { EquityChart } from '../../components/EquityChart';
import { Icon } from '../../components/icons';
import { SortableTable, type Column } from '../../components/SortableTable';
import { Empty, ErrorState, Loading, Panel, ProgressBar, StatusPill } from '../../components/states';
import { formatBucket, formatDuration, formatInt, formatPercent, formatPrice, formatTime, signClass } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { mergeNewestFirst, useNotifications } from '../../stores/notifications';
import { navigate, useRoute } from '../../stores/route';
import { isActive, useRuns } from '../../stores/runs';
import { NotificationRow } from '../notifications/NotificationRow';
import { StopButton } from './RunsList';

/** Live refreshes of a run page at most this often, however fast its events arrive. */
const REFRESH_MS = 1000;

function useThrottledVersion(version: number): number {
  const [value, setValue] = useState(version);
  const last = useRef(0);
  useEffect(() => {
    const wait = Math.max(0, last.current + REFRESH_MS - Date.now());
    const t = setTimeout(() => {
      last.current = Date.now();
      setValue(version);
    }, wait);
    return () => clearTimeout(t);
  }, [version]);
  return value;
}

function Stats({ run }: { run: RunDetail }): ReactElement {
  const s = run.stats;
  const items: Array<[string, string, string?]> = [
    ['Trades', formatInt(s?.trades)],
    ['Win rate', s?.winRate === null || s?.winRate === undefined ? '—' : `${(s.winRate * 100).toFixed(1)}%`],
    ['Total PnL', formatPercent(s?.totalPnlPercent), signClass(s?.totalPnlPercent)],
    ['Avg PnL', formatPercent(s?.avgPnlPercent), signClass(s?.avgPnlPercent)],
    ['Max drawdown', s ? `${s.maxDrawdownPercent.toFixed(2)}%` : '—', s && s.maxDrawdownPercent > 0 ? 'down' : ''],
    ['Sharpe', s?.sharpe === null || s?.sharpe === undefined ? '—' : s.sharpe.toFixed(2)],
    ['Profit factor', s?.profitFactor === null || s?.profitFactor === undefined ? '—' : s.profitFactor.toFixed(2)],
    ['Wins / losses', s ? `${s.wins} / ${s.losses}` : '—'],
  ];
  return (
    <div className="stats" data-testid="run-stats">
      {items.map(([k, v, cls]) => (
        <div className="stat" key={k}>
          <div className="k">{k}</div>
          <div className={`v ${cls ?? ''}`}>{v}</div>
        </div>
      ))}
    </div>
  );
}

const tradeColumns: Column<SignalRow>[] = [
  { key: 'symbol', label: 'Symbol', sortValue: (r) => r.symbol, render: (r) => r.symbol },
  { key: 'position', label: 'Side', sortValue: (r) => r.position, render: (r) => <span className={r.position === 'long' ? 'up' : 'down'}>{r.position}</span> },
  { key: 'status', label: 'Status', sortValue: (r) => r.status, render: (r) => <span className="dim">{r.status}</span> },
  { key: 'openedAt', label: 'Opened (UTC)', numeric: true, sortValue: (r) => r.openedAt ?? r.scheduledAt, render: (r) => formatTime(r.openedAt ?? r.scheduledAt) },
  { key: 'closedAt', label: 'Closed (UTC)', numeric: true, sortValue: (r) => r.closedAt, render: (r) => formatTime(r.closedAt) },
  { key: 'priceOpen', label: 'Entry', numeric: true, sortValue: (r) => r.priceOpen, render: (r) => formatPrice(r.priceOpen) },
  { key: 'priceClose', label: 'Exit', numeric: true, sortValue: (r) => r.priceClose, render: (r) => formatPrice(r.priceClose) },
  { key: 'tp', label: 'TP', numeric: true, render: (r) => <span className="dim">{formatPrice(r.priceTakeProfit)}</span> },
  { key: 'sl', label: 'SL', numeric: true, render: (r) => <span className="dim">{formatPrice(r.priceStopLoss)}</span> },
  { key: 'reason', label: 'Reason', sortValue: (r) => r.closeReason ?? r.cancelReason, render: (r) => <span className="dim">{r.closeReason ?? r.cancelReason ?? '—'}</span> },
  { key: 'pnl', label: 'PnL', numeric: true, sortValue: (r) => r.pnlPercent, render: (r) => <span className={signClass(r.pnlPercent)}>{formatPercent(r.pnlPercent)}</span> },
];

function chartOverlays(signals: SignalRow[], symbol: string, end: number): { markers: ChartMarker[]; levels: ChartLevel[] } {
  const markers: ChartMarker[] = [];
  const levels: ChartLevel[] = [];
  for (const s of signals) {
    if (s.symbol !== symbol || s.openedAt === undefined) continue;
    markers.push({ id: `${s.signalId}-in`, timestamp: s.openedAt, price: s.priceOpen, kind: 'entry', position: s.position });
    const until = s.closedAt ?? end;
    levels.push({ id: `${s.signalId}-tp`, price: s.priceTakeProfit, kind: 'tp', from: s.openedAt, to: until });
    levels.push({ id: `${s.signalId}-sl`, price: s.priceStopLoss, kind: 'sl', from: s.openedAt, to: until });
    if (s.closedAt !== undefined && s.priceClose !== undefined) {
      markers.push({ id: `${s.signalId}-out`, timestamp: s.closedAt, price: s.priceClose, kind: 'exit', position: s.position, win: (s.pnlPercent ?? 0) > 0 });
    }
  }
  return { markers, levels };
}

function RunChart({ run, symbol, version }: { run: RunDetail; symbol: string; version: number }): ReactElement {
  const step = INTERVAL_MS[run.interval];
  const from = run.from ?? (run.startedAt ?? run.createdAt) - 300 * step;
  // A live run's chart ends "now", a running paper replay where the replay has got to; both are
  // recomputed only when the run has news, not on every render.
  const to = useMemo(() => {
    if (run.to === undefined) return Math.max(from + step, Date.now());
    if (run.kind === 'paper' && isActive(run)) return Math.max(from + step, from + Math.ceil(((run.to - from) * run.progress) / step) * step);
    return run.to;
    // progress and status are sampled when the run has news (version), not on every progress event
  }, [run.to, run.kind, from, step, version]);
  const live = isActive(run);
  const chart = useAsync(
    () => call('candles.chart', { exchangeName: run.exchangeName, symbol, interval: run.interval, from, to }),
    [run.runId, symbol, from, to, live ? version : 0],
    // A live chart refreshes in place; an outage or a slow query keeps the last candles on screen.
    { keepDataOnChange: true },
  );
  const { markers, levels } = useMemo(() => chartOverlays(run.signals, symbol, to), [run.signals, symbol, to]);
  if (chart.status === 'loading' && !chart.data) return <Loading label="Loading candles…" />;
  if (chart.status === 'error' && !chart.data) return <ErrorState title="Cannot load candles" error={chart.error} onRetry={chart.reload} />;
  const candles = chart.data?.candles ?? [];
  if (candles.length === 0) return <Empty title="No candles for this range">Import or download {symbol} {run.interval} candles in Candles.</Empty>;
  return (
    <>
      <CandleChart candles={candles} markers={markers} levels={levels} height={400} testId="run-chart" />
      <div className="coverage-legend">
        <span>
          <span className="dot" style={{ background: 'var(--accent)' }} />
          Long entry
        </span>
        <span>
          <span className="dot" style={{ background: 'var(--warn)' }} />
          Short entry
        </span>
        <span>
          <span className="dot ok" />
          Winning exit
        </span>
        <span>
          <span className="dot bad" />
          Losing exit
        </span>
        <span className="faint">Dashed: take-profit (green) and stop-loss (red)</span>
        <span className="spacer" />
        {chart.data?.aggregated && <span className="faint">Aggregated to {formatBucket(chart.data.bucketMs)} bars</span>}
      </div>
    </>
  );
}

function RunNotifications({ runId }: { runId: string }): ReactElement {
  const initial = useAsync(() => call('notifications.list', { runId, limit: 200 }), [runId]);
  const live = useNotifications((s) => s.items);
  const items = useMemo<Notification[]>(() => {
    const fetched = initial.data?.items ?? [];
    const base = mergeNewestFirst([], new Set(), fetched, 500);
    return mergeNewestFirst(base.items, base.ids, live.filter((n) => n.runId === runId).slice(0, 500), 500).items;
  }, [initial.data, live, runId]);
  if (initial.status === 'loading') return <Loading />;
  if (initial.status === 'error' && items.length === 0) return <ErrorState error={initial.error} onRetry={initial.reload} />;
  if (items.length === 0) return <Empty title="No notifications for this run yet">They appear here as the run opens and closes signals.</Empty>;
  return (
    <div style={{ maxHeight: 320, overflow: 'auto' }} data-testid="run-notifications">
      {items.slice(0, 200).map((n) => (
        <div key={n.notificationId} style={{ height: 38 }}>
          <NotificationRow n={n} />
        </div>
      ))}
    </div>
  );
}

export function RunPage({ runId }: { runId: string }): ReactElement {
  const summary = useRuns((s) => s.byId[runId]);
  const version = useRuns((s) => s.versions[runId] ?? 0);
  const highlight = useRoute((r) => r.signalId);
  const throttled = useThrottledVersion(version);
  // The page is keyed by run id, so a changed dep is always news about this run: refresh in place.
  const detail = useAsync(async () => (await call('runs.get', { runId })).run, [runId, throttled, summary?.status], { keepDataOnChange: true });
  const [symbol, setSymbol] = useState<string>();

  const back = (
    <button type="button" className="btn ghost small" onClick={() => navigate({ view: 'sessions' })}>
      <Icon name="back" size={14} /> Sessions
    </button>
  );
  if (detail.status === 'loading' && !detail.data) {
    return (
      <div className="page">
        <div className="page-head">{back}</div>
        <Loading label="Loading run…" />
      </div>
    );
  }
  if (detail.status === 'error' && !detail.data) {
    return (
      <div className="page">
        <div className="page-head">{back}</div>
        <ErrorState title={`Cannot load run ${runId}`} error={detail.error} onRetry={detail.reload} />
      </div>
    );
  }
  const base = detail.data!;
  // The store has the freshest status and progress (events); the detail has signals and equity.
  const run: RunDetail = summary ? { ...base, status: summary.status, progress: summary.progress, etaMs: summary.etaMs, stats: summary.stats ?? base.stats } : base;
  const activeSymbol = symbol && run.symbols.includes(symbol) ? symbol : run.symbols[0]!;
  const trades = run.signals.filter((s) => s.status !== 'scheduled' || s.openedAt !== undefined);

  return (
    <div className="page" data-testid="run-page" data-run-status={run.status}>
      <div className="page-head">
        {back}
        <h1>
          {run.strategyName} <span className="dim" style={{ fontWeight: 500 }}>· {run.symbols.join(', ')} · {run.interval}</span>
        </h1>
        <StatusPill status={run.status} />
        <div className="spacer" />
        <div style={{ display: 'flex', alignItems: 'center', gap: 10, minWidth: 260 }}>
          <ProgressBar value={run.progress} status={run.status} />
          <span className="num dim">{Math.round(run.progress * 100)}%</span>
          {isActive(run) && run.etaMs !== undefined && <span className="num faint">ETA {formatDuration(run.etaMs)}</span>}
        </div>
        <StopButton run={run} />
      </div>
      <div className="dim" style={{ marginTop: -8 }}>
        {run.kind === 'backtest' ? 'Backtest' : run.kind === 'paper' ? 'Paper replay' : 'Live'} on {run.exchangeName}
        {run.from !== undefined && ` · ${formatTime(run.from)} → ${formatTime(run.to)} UTC`} · started {formatTime(run.startedAt ?? run.createdAt)}
        {Object.keys(run.params).length > 0 && ` · ${Object.entries(run.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`}
      </div>
      {run.error && (
        <div className="result bad" role="alert">
          {run.error}
        </div>
      )}
      <Stats run={run} />
      <Panel
        title="Price"
        flush
        actions={
          run.symbols.length > 1 ? (
            <div className="segmented">
              {run.symbols.map((s) => (
                <button key={s} type="button" aria-pressed={s === activeSymbol} onClick={() => setSymbol(s)}>
                  {s}
                </button>
              ))}
            </div>
          ) : undefined
        }
      >
        <div style={{ padding: '4px 10px 10px' }}>
          <RunChart run={run} symbol={activeSymbol} version={throttled} />
        </div>
      </Panel>
      <Panel title="Equity curve">
        {run.equity.length > 1 ? <EquityChart points={run.equity} /> : <Empty title="No closed trades yet">The equity curve starts with the first closed trade.</Empty>}
      </Panel>
      <Panel title={`Trades (${trades.length})`} flush>
        {trades.length === 0 ? (
          <Empty title="No trades">{isActive(run) ? 'Trades appear here as the strategy opens signals.' : 'The strategy opened no signal in this range. Try other parameters or a longer range.'}</Empty>
        ) : (
          <div className="table-scroll">
            <SortableTable rows={trades} columns={tradeColumns} rowKey={(r) => r.signalId} initialSort={{ key: 'openedAt', dir: 'asc' }} highlight={highlight} testId="trades-table" />
          </div>
        )}
      </Panel>
      <Panel title="Notifications" flush>
        <RunNotifications runId={run.runId} />
      </Panel>
    </div>
  );
}
