import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type ReactElement } from 'react';
import { INTERVAL_MS } from '../../../../shared/candles';
import type { Notification, RunDetail, SignalRow } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { CandleChart, type ChartLevel, type ChartMarker } from '../../components/CandleChart';
import { EquityChart } from '../../components/EquityChart';
import { Icon } from '../../components/icons';
import { SortableTable, type Column } from '../../components/SortableTable';
import { Empty, ErrorState, Loading, Panel, ProgressBar, StatusPill } from '../../components/states';
import { downloadText, exportName, runJson, statsCsv, tradesCsv } from '../../lib/export';
import { strategyIndicators } from '../../lib/indicators';
import { formatBucket, formatDuration, formatInt, formatPercent, formatPrice, formatTime, signClass } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { mergeNewestFirst, useNotifications } from '../../stores/notifications';
import { useRerun } from '../../stores/rerun';
import { navigate, useRoute } from '../../stores/route';
import { isActive, useRuns } from '../../stores/runs';
import { StopButton } from './RunsList';
import { RunActions, runTitle } from './RunActions';
import { Stats, SymbolStats } from './RunStats';

/** Live refreshes of a run page at most this often, however fast its events arrive. */
const REFRESH_MS = 1000;
/** The candle chart and its legend. */
const CHART_BOX_HEIGHT = 428;

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

interface Focus {
  id: string;
  from: number;
  to: number;
  /** The window the chart loads around the trade. */
  windowFrom: number;
  windowTo: number;
}

/** The trade's span with room on both sides (at least 60 candles), on the run's candle grid. */
function focusOf(s: SignalRow, run: RunDetail, end: number): Focus | undefined {
  const start = s.openedAt ?? s.scheduledAt;
  if (start === undefined) return undefined;
  const step = INTERVAL_MS[run.interval];
  const stop = s.closedAt ?? end;
  const pad = Math.max((stop - start) * 0.75, 60 * step);
  let windowFrom = Math.floor((start - pad) / step) * step;
  let windowTo = Math.ceil((stop + pad) / step) * step;
  if (run.from !== undefined) windowFrom = Math.max(run.from, windowFrom);
  if (run.to !== undefined) windowTo = Math.min(run.to, windowTo);
  return { id: s.signalId, from: start, to: stop, windowFrom, windowTo: Math.max(windowTo, windowFrom + step) };
}

function RunChart({ run, symbol, version, focus, onClearFocus }: { run: RunDetail; symbol: string; version: number; focus?: Focus; onClearFocus(): void }): ReactElement {
  const step = INTERVAL_MS[run.interval];
  const from = run.from ?? (run.startedAt ?? run.createdAt) - 300 * step;
  // A live run's chart ends "now", a running paper replay where the replay has got to; both are
  // recomputed only when the run has news, not on every render.
  const to = useMemo(() => {
    if (run.to === undefined) return Math.max(from + step, Date.now());
    if (run.kind === 'paper' && isActive(run)) return Math.max(from + step, from + Math.ceil(((run.to - from) * run.progress) / step) * step);
    return run.to;
    // progress and status are sampled when the run has news (version), not on every progress event
  }, [run.to, run.kind, run.status, from, step, version]);
  // A zoomed window loaded at finer detail (zoom settles, or a trade is picked); undefined: the whole run.
  const [detail, setDetail] = useState<{ from: number; to: number }>();
  // One effect for both: a trade of another symbol changes the symbol and the focus in one render.
  useEffect(() => {
    setDetail(focus ? { from: focus.windowFrom, to: focus.windowTo } : undefined);
  }, [symbol, focus?.id, focus?.windowFrom, focus?.windowTo]);
  const range = detail ?? { from, to };
  const live = isActive(run);
  const chart = useAsync(
    () => call('candles.chart', { exchangeName: run.exchangeName, symbol, interval: run.interval, from: range.from, to: range.to }),
    [run.runId, symbol, range.from, range.to, live ? version : 0],
    // A live chart refreshes in place; an outage or a slow query keeps the last candles on screen.
    { keepDataOnChange: true },
  );
  const { markers, levels } = useMemo(() => chartOverlays(run.signals, symbol, to), [run.signals, symbol, to]);
  const [visible, setVisible] = useState<{ bars: number; from: number; to: number }>();
  const loadDetail = useCallback(
    (a: number, b: number) => {
      // Only worth a request when the bars on screen are coarser than the run's own candles.
      if (chart.data?.aggregated) setDetail({ from: Math.max(from, a), to: Math.min(to, b) });
    },
    [chart.data?.aggregated, from, to],
  );
  // Every state takes the chart's height, so the trades below do not move when the candles arrive.
  const placeholder = (content: ReactElement): ReactElement => <div style={{ minHeight: CHART_BOX_HEIGHT, display: 'grid', alignItems: 'center' }}>{content}</div>;
  const aggregatedNow = chart.data?.aggregated === true;
  // The strategy's own indicators, only on the run's own candles: averaged bars would draw other lines.
  const indicators = useMemo(
    () => (chart.data && !aggregatedNow ? strategyIndicators(run.strategyName, run.params, chart.data.candles) : { lines: [] }),
    [chart.data, aggregatedNow, run.strategyName, run.params],
  );
  if (chart.status === 'loading' && !chart.data) return placeholder(<Loading label="Loading candles…" />);
  if (chart.status === 'error' && !chart.data) return placeholder(<ErrorState title="Cannot load candles" error={chart.error} onRetry={chart.reload} />);
  const candles = chart.data?.candles ?? [];
  if (candles.length === 0 && chart.status === 'loading') return placeholder(<Loading label="Loading candles…" />);
  if (candles.length === 0) return placeholder(<Empty title="No candles for this range">Import or download {symbol} {run.interval} candles in Candles.</Empty>);
  const aggregated = chart.data?.aggregated === true;
  return (
    <div data-testid="run-chart-panel" data-aggregated={aggregated} data-bucket={chart.data?.bucketMs} data-focus={focus?.id ?? ''} data-loading={chart.status === 'loading'}>
      <CandleChart
        candles={candles}
        markers={markers}
        levels={levels}
        height={400}
        testId="run-chart"
        onLoadDetail={loadDetail}
        autoLoadDetail
        onVisibleChange={setVisible}
        selected={focus ? { id: `${focus.id}-`, from: focus.from, to: focus.to } : undefined}
        lines={indicators.lines}
        pane={indicators.pane}
      />
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
        {indicators.lines.map((l) => (
          <span key={l.id} data-testid="indicator-legend">
            <span className="dot" style={{ background: l.color }} />
            {l.label}
          </span>
        ))}
        {aggregated && <span className="faint">indicators at full detail: zoom in or pick a trade</span>}
        <span className="spacer" />
        <span className="num" data-testid="run-chart-bars">
          {formatInt(visible?.bars ?? candles.length)} bars
        </span>
        <span className="faint" data-testid="run-chart-detail">
          {aggregated ? `aggregated to ${formatBucket(chart.data!.bucketMs)} bars · zoom in for detail` : `${run.interval} bars, full detail`}
        </span>
        {detail && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setDetail(undefined);
              onClearFocus();
            }}
          >
            Whole run
          </button>
        )}
      </div>
    </div>
  );
}

function tone(n: Notification): string {
  if (n.type.startsWith('error.') || n.type === 'run.failed') return 'bad';
  if (n.type === 'signal.closed') return typeof n.data?.pnlPercent === 'number' ? (n.data.pnlPercent > 0 ? 'good' : 'bad') : 'info';
  if (n.type === 'signal.opened' || n.type === 'run.completed') return 'good';
  if (n.type === 'signal.cancelled') return 'warn';
  return 'info';
}

/**
 * The run's notifications in the order they arrived (newest first). A paper replay's signal
 * notifications also carry the candle time of the transition, shown beside it.
 */
function RunNotifications({ runId, onPick }: { runId: string; onPick(n: Notification): void }): ReactElement {
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
    <div style={{ maxHeight: 320, overflow: 'auto' }} data-testid="run-notifications" role="list">
      {items.slice(0, 200).map((n) => {
        const candleAt = typeof n.data?.candleAt === 'number' ? n.data.candleAt : undefined;
        return (
          <div
            key={n.notificationId}
            className={`run-note${n.signalId ? ' clickable' : ''}`}
            role="listitem"
            data-testid="run-notification"
            data-id={n.notificationId}
            data-type={n.type}
            data-signal-id={n.signalId ?? ''}
            onClick={() => onPick(n)}
          >
            <span className="num dim" title="When it arrived (UTC)">
              {formatTime(n.createdAt, true).slice(11)}
            </span>
            <span className={`type-tag ${tone(n)}`}>{n.type}</span>
            <span className="msg" title={`${n.title} — ${n.message}`}>
              <strong>{n.title}</strong> <span className="dim">{n.message}</span>
            </span>
            <span className="faint num" title="Candle time of the event (UTC)">
              {candleAt !== undefined ? `candle ${formatTime(candleAt)}` : ''}
            </span>
          </div>
        );
      })}
    </div>
  );
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

const TITLE: CSSProperties = { flex: '0 1 auto', minWidth: 0, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' };

export function RunPage({ runId }: { runId: string }): ReactElement {
  const summary = useRuns((s) => s.byId[runId]);
  const version = useRuns((s) => s.versions[runId] ?? 0);
  const routeSignal = useRoute((r) => r.signalId);
  const throttled = useThrottledVersion(version);
  // The page is keyed by run id, so a changed dep is always news about this run: refresh in place.
  const detail = useAsync(async () => (await call('runs.get', { runId })).run, [runId, throttled, summary?.status], { keepDataOnChange: true });
  const [symbol, setSymbol] = useState<string>();
  const [tradeSymbol, setTradeSymbol] = useState<string>('all');
  const [selectedId, setSelectedId] = useState<string | undefined>(routeSignal);
  // A notification clicked elsewhere (or an OS notification) routes here with its trade.
  useEffect(() => {
    if (routeSignal) setSelectedId(routeSignal);
  }, [routeSignal]);
  const tableRef = useRef<HTMLDivElement>(null);

  const base = detail.data;
  const run: RunDetail | undefined = base && (summary ? { ...base, name: summary.name ?? base.name, status: summary.status, progress: summary.progress, etaMs: summary.etaMs, stats: summary.stats ?? base.stats } : base);
  const trades = useMemo(() => (run?.signals ?? []).filter((s) => s.status !== 'scheduled' || s.openedAt !== undefined), [run?.signals]);
  const shown = useMemo(() => (tradeSymbol === 'all' ? trades : trades.filter((t) => t.symbol === tradeSymbol)), [trades, tradeSymbol]);
  const selected = trades.find((t) => t.signalId === selectedId);
  const end = run?.to ?? Date.now();
  const focus = useMemo(() => (selected && run ? focusOf(selected, run, end) : undefined), [selected?.signalId, selected?.closedAt, run?.runId, end]);

  // The picked trade: its symbol on the chart, its row on screen.
  useEffect(() => {
    if (!selected) return;
    setSymbol(selected.symbol);
    const row = tableRef.current?.querySelector<HTMLElement>(`tr[data-row-id="${CSS.escape(selected.signalId)}"]`);
    row?.scrollIntoView({ block: 'center' });
  }, [selected?.signalId]);

  // j / k (or the arrow keys once a trade is picked) walk the trades in the table's order.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const next = e.key === 'j' || (e.key === 'ArrowDown' && selectedId);
      const prev = e.key === 'k' || (e.key === 'ArrowUp' && selectedId);
      if (e.key === 'Escape' && selectedId) {
        setSelectedId(undefined);
        return;
      }
      if (!next && !prev) return;
      const ids = [...(tableRef.current?.querySelectorAll<HTMLElement>('tbody tr[data-row-id]') ?? [])].map((r) => r.dataset.rowId!);
      if (ids.length === 0) return;
      e.preventDefault();
      const at = selectedId ? ids.indexOf(selectedId) : -1;
      const to = at < 0 ? (next ? 0 : ids.length - 1) : Math.max(0, Math.min(ids.length - 1, at + (next ? 1 : -1)));
      setSelectedId(ids[to]);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [selectedId]);

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
  const r = run!;
  const activeSymbol = symbol && r.symbols.includes(symbol) ? symbol : r.symbols[0]!;
  const open = trades.filter((t) => t.status === 'opened').length;
  const closed = trades.filter((t) => t.status === 'closed').length;

  return (
    <div className="page" data-testid="run-page" data-run-status={r.status}>
      <div className="page-head">
        {back}
        {/* One line whatever the symbols: cut with an ellipsis beside the actions, the whole title on hover. */}
        <h1 data-testid="run-title" style={TITLE} title={`${runTitle(r)} · ${r.name ? `${r.strategyName} · ` : ''}${r.symbols.join(', ')} · ${r.interval}`}>
          {runTitle(r)} <span className="dim" style={{ fontWeight: 500 }}>· {r.name ? `${r.strategyName} · ` : ''}{r.symbols.join(', ')} · {r.interval}</span>
        </h1>
        <StatusPill status={r.status} />
        <div className="spacer" />
        <div style={{ display: 'flex', alignItems: 'center', gap: 10, minWidth: 260 }}>
          <ProgressBar value={r.progress} status={r.status} />
          <span className="num dim">{Math.round(r.progress * 100)}%</span>
          {isActive(r) && r.etaMs !== undefined && (
            <span className="num faint" data-testid="run-eta" data-eta-ms={r.etaMs}>
              ETA {formatDuration(r.etaMs)}
            </span>
          )}
        </div>
        <StopButton run={r} />
        <button
          type="button"
          className="btn small"
          title="Open the New session form with this run's settings"
          onClick={() => {
            useRerun.getState().set(r.request);
            navigate({ view: 'sessions' });
          }}
        >
          Re-run…
        </button>
        <RunActions run={r} onDeleted={() => navigate({ view: 'sessions' })} />
      </div>
      <div className="dim" style={{ marginTop: -8 }}>
        {r.kind === 'backtest' ? 'Backtest' : r.kind === 'paper' ? 'Paper replay' : 'Live'} on {r.exchangeName}
        {r.from !== undefined && ` · ${formatTime(r.from)} → ${formatTime(r.to)} UTC`} · started {formatTime(r.startedAt ?? r.createdAt)}
        {Object.keys(r.params).length > 0 && ` · ${Object.entries(r.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`}
      </div>
      {r.error && (
        <div className="result bad" role="alert">
          {r.error}
        </div>
      )}
      <Stats run={r} open={open} />
      {r.symbols.length > 1 && (
        <Panel title="By symbol" flush>
          <SymbolStats run={r} />
        </Panel>
      )}
      <Panel
        title={selected ? `Price · ${selected.symbol} ${selected.position} ${formatTime(selected.openedAt ?? selected.scheduledAt)}` : 'Price'}
        flush
        actions={
          r.symbols.length > 1 ? (
            <div className="segmented">
              {r.symbols.map((s) => (
                <button key={s} type="button" aria-pressed={s === activeSymbol} onClick={() => setSymbol(s)}>
                  {s}
                </button>
              ))}
            </div>
          ) : undefined
        }
      >
        <div style={{ padding: '4px 10px 10px' }}>
          <RunChart run={r} symbol={activeSymbol} version={throttled} focus={focus && selected?.symbol === activeSymbol ? focus : undefined} onClearFocus={() => setSelectedId(undefined)} />
        </div>
      </Panel>
      <Panel title="Equity">
        {r.equity.length > 1 ? <EquityChart points={r.equity} /> : <Empty title="No closed trades yet">The equity curve starts with the first closed trade.</Empty>}
      </Panel>
      <Panel
        title={
          <span data-testid="trades-title">
            Trades <span className="faint">· {formatInt(closed)} closed{open > 0 ? `, ${formatInt(open)} open (not in the statistics)` : ''}</span>
          </span>
        }
        flush
        actions={
          <div className="toolbar" style={{ alignItems: 'center', gap: 8 }}>
            {r.symbols.length > 1 && (
              <div className="segmented" role="group" aria-label="Trades of symbol">
                {['all', ...r.symbols].map((s) => (
                  <button key={s} type="button" aria-pressed={tradeSymbol === s} onClick={() => setTradeSymbol(s)}>
                    {s === 'all' ? 'All' : s}
                  </button>
                ))}
              </div>
            )}
            <span className="faint" style={{ fontSize: 12 }}>
              j / k: next / previous trade
            </span>
            <button type="button" className="btn small" data-testid="export-trades-csv" onClick={() => downloadText(exportName(r, 'trades', 'csv'), tradesCsv(shown), 'text/csv')}>
              <Icon name="download" size={12} /> Trades CSV
            </button>
            <button type="button" className="btn small" data-testid="export-stats-csv" onClick={() => downloadText(exportName(r, 'statistics', 'csv'), statsCsv(r), 'text/csv')}>
              Statistics CSV
            </button>
            <button type="button" className="btn small" data-testid="export-json" onClick={() => downloadText(exportName(r, 'run', 'json'), runJson(r), 'application/json')}>
              JSON
            </button>
          </div>
        }
      >
        {shown.length === 0 ? (
          <Empty title="No trades">{isActive(r) ? 'Trades appear here as the strategy opens signals.' : 'The strategy opened no signal in this range. Try other parameters or a longer range.'}</Empty>
        ) : (
          <div className="table-scroll" ref={tableRef}>
            <SortableTable
              rows={shown}
              columns={tradeColumns}
              rowKey={(t) => t.signalId}
              initialSort={{ key: 'openedAt', dir: 'asc' }}
              highlight={selectedId}
              onRowClick={(t) => setSelectedId(t.signalId === selectedId ? undefined : t.signalId)}
              testId="trades-table"
            />
          </div>
        )}
      </Panel>
      <Panel title="Notifications" flush>
        <RunNotifications
          runId={r.runId}
          onPick={(n) => {
            if (n.signalId && trades.some((t) => t.signalId === n.signalId)) {
              setTradeSymbol('all');
              setSelectedId(n.signalId);
            }
          }}
        />
      </Panel>
    </div>
  );
}
