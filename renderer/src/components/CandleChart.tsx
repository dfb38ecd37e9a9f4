import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { ComposedChart, Line, ReferenceArea, ReferenceDot, ReferenceLine, ResponsiveContainer, Tooltip, usePlotArea, useXAxisScale, useYAxisScale, XAxis, YAxis } from 'recharts';
import type { Candle } from '../../../shared/contract/domain';
import { candleGeometry, candleIndexAt, niceTicks, panWindow, zoomWindow, type ViewWindow } from '../lib/chart';
import { formatCompact, formatPrice, formatShortTime, formatTime } from '../lib/format';
import type { IndicatorLine, IndicatorPane } from '../lib/indicators';

/** Tick labels in the text colour: the axis line's colour (recharts' default for them) is unreadable in both themes. */
const AXIS_TICK = { fill: 'var(--text-dim)', fontSize: 11 };

export interface ChartMarker {
  id: string;
  timestamp: number;
  price: number;
  kind: 'entry' | 'exit';
  position: 'long' | 'short';
  /** Exits: green for a win, red for a loss. */
  win?: boolean;
  label?: string;
}

export interface ChartLevel {
  id: string;
  price: number;
  kind: 'tp' | 'sl';
  from: number;
  to: number;
}

interface Row {
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Indicator values by line id (`ind:<id>`) and the lower pane's (`pane`), null before warm-up. */
  [indicator: `ind:${string}`]: number | null;
  pane?: number | null;
}

/** A stable default: a fresh [] per render would recompute the rows and reset the zoom every render. */
const NO_LINES: IndicatorLine[] = [];

/** Height of the indicator pane under the candles (RSI). */
const PANE_HEIGHT = 96;

interface Props {
  candles: readonly Candle[];
  markers?: ChartMarker[];
  levels?: ChartLevel[];
  height?: number;
  /**
   * Offered while zoomed into an aggregated series: asks for the visible window at full detail
   * (the core re-aggregates a shorter range to a finer interval).
   */
  onLoadDetail?(from: number, to: number): void;
  /** Ask for the detail by itself once a zoom settles, instead of offering the button. */
  autoLoadDetail?: boolean;
  /** The visible window after every zoom or pan (bar count footers). */
  onVisibleChange?(visible: { bars: number; from: number; to: number }): void;
  /** Markers whose id starts with this are drawn larger, with a band over the trade's span. */
  selected?: { id: string; from: number; to: number };
  /** Indicator lines over the candles, one value per candle (same order). */
  lines?: IndicatorLine[];
  /** An oscillator in its own pane under the candles, one value per candle. */
  pane?: IndicatorPane;
  testId?: string;
}

/** How long a zoom must stay still before the finer candles are asked for. */
const DETAIL_DELAY_MS = 350;

/**
 * Every candle and volume bar as plain SVG, positioned with the chart's own scales. One component
 * for all bars instead of a recharts <Bar> shape per bar: 2,000 candles render in one pass.
 */
/** Volume bars take the bottom fifth of the plot, under the candles. */
const VOLUME_SHARE = 0.2;

function CandleLayer({ rows, maxVolume }: { rows: Row[]; maxVolume: number }): ReactElement | null {
  const x = useXAxisScale();
  const y = useYAxisScale('price');
  const plot = usePlotArea();
  if (!x || !y || !plot || rows.length === 0) return null;
  const band = plot.width / rows.length;
  const bodyWidth = Math.max(1, band * 0.7);
  const bottom = plot.y + plot.height;
  return (
    <g className="candles" data-count={rows.length}>
      {rows.map((r) => {
        const cx = x(r.t, { position: 'middle' });
        const top = y(r.high);
        const low = y(r.low);
        const volumeHeight = maxVolume > 0 ? (r.volume / maxVolume) * plot.height * VOLUME_SHARE : 0;
        if (cx === undefined || top === undefined || low === undefined) return null;
        const up = r.close >= r.open;
        const color = up ? 'var(--up)' : 'var(--down)';
        const g = candleGeometry(top, low - top, r);
        return (
          <g key={r.t} className="candle">
            {volumeHeight > 0 && <rect x={cx - bodyWidth / 2} y={bottom - volumeHeight} width={bodyWidth} height={volumeHeight} fill={color} opacity={0.28} />}
            <line x1={cx} x2={cx} y1={g.wickTop} y2={g.wickBottom} stroke={color} strokeWidth={1} />
            <rect x={cx - bodyWidth / 2} y={g.bodyTop} width={bodyWidth} height={g.bodyHeight} fill={color} />
          </g>
        );
      })}
    </g>
  );
}

function CandleTooltip({ active, payload }: { active?: boolean; payload?: ReadonlyArray<{ payload?: Row }> }): ReactElement | null {
  const row = payload?.[0]?.payload;
  if (!active || !row) return null;
  const change = row.open !== 0 ? ((row.close - row.open) / row.open) * 100 : 0;
  return (
    <div className="tooltip">
      <span className="t">{formatTime(row.t)} UTC</span>
      <span className="dim">Open</span>
      <span>{formatPrice(row.open)}</span>
      <span className="dim">High</span>
      <span>{formatPrice(row.high)}</span>
      <span className="dim">Low</span>
      <span>{formatPrice(row.low)}</span>
      <span className="dim">Close</span>
      <span className={change >= 0 ? 'up' : 'down'}>{formatPrice(row.close)}</span>
      <span className="dim">Change</span>
      <span className={change >= 0 ? 'up' : 'down'}>{change.toFixed(2)}%</span>
      <span className="dim">Volume</span>
      <span>{formatCompact(row.volume)}</span>
    </div>
  );
}

/**
 * Candlesticks with volume, wheel zoom around the cursor and drag to pan. The series it gets is
 * already at most ~2,000 bars (the core aggregates longer ranges), so every bar can be an SVG node.
 */
export function CandleChart({ candles, markers = [], levels = [], height = 420, testId = 'candle-chart', onLoadDetail, autoLoadDetail, onVisibleChange, selected, lines = NO_LINES, pane }: Props): ReactElement {
  const rows = useMemo<Row[]>(
    () =>
      candles.map((c, i) => {
        const row: Row = { t: c.timestamp, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
        for (const l of lines) row[`ind:${l.id}`] = l.values[i] ?? null;
        if (pane) row.pane = pane.values[i] ?? null;
        return row;
      }),
    [candles, lines, pane],
  );
  const [view, setView] = useState<ViewWindow>({ start: 0, end: rows.length });
  useEffect(() => setView({ start: 0, end: rows.length }), [rows]);

  const wrapRef = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; view: ViewWindow } | null>(null);
  const viewRef = useRef(view);
  viewRef.current = view;

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    // A native, non-passive listener: React's onWheel cannot stop the page from scrolling.
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const rect = el.getBoundingClientRect();
      const anchor = (e.clientX - rect.left - 8) / Math.max(1, rect.width - 80);
      setView((v) => zoomWindow(v, rows.length, e.deltaY < 0 ? 0.8 : 1.25, anchor));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [rows.length]);

  const onMouseDown = (e: React.MouseEvent): void => {
    drag.current = { x: e.clientX, view: viewRef.current };
  };
  const onMouseMove = (e: React.MouseEvent): void => {
    const d = drag.current;
    const el = wrapRef.current;
    if (!d || !el) return;
    const barsPerPx = (d.view.end - d.view.start) / Math.max(1, el.clientWidth - 80);
    setView(panWindow(d.view, rows.length, -(e.clientX - d.x) * barsPerPx));
  };
  const endDrag = (): void => {
    drag.current = null;
  };

  const visible = useMemo(() => rows.slice(view.start, view.end), [rows, view]);
  const timestamps = useMemo(() => visible.map((r) => r.t), [visible]);
  const span = visible.length > 1 ? visible[visible.length - 1]!.t - visible[0]!.t : 0;
  const first = visible[0]?.t ?? 0;
  const last = visible[visible.length - 1]?.t ?? 0;
  const [lo, hi] = useMemo(() => {
    let min = Infinity;
    let max = -Infinity;
    for (const r of visible) {
      if (r.low < min) min = r.low;
      if (r.high > max) max = r.high;
      for (const l of lines) {
        const v = r[`ind:${l.id}`];
        if (v === null || v === undefined) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // Only the TP/SL lines drawn in this window count: the axis fits what is on screen.
    for (const l of levels) {
      if (l.to < first || l.from > last) continue;
      if (l.price < min) min = l.price;
      if (l.price > max) max = l.price;
    }
    const pad = (max - min) * 0.06 || Math.abs(max) * 0.01 || 1;
    // Extra room below keeps the lowest candles clear of the volume bars.
    return [min - pad * 4, max + pad];
  }, [visible, levels, first, last, lines]);
  const priceTicks = useMemo(() => niceTicks(lo, hi), [lo, hi]);
  // Ticks show as many decimals as their step needs (0.095, not 0.09500000).
  const tickStep = priceTicks.length > 1 ? priceTicks[1]! - priceTicks[0]! : 1;
  const tickDecimals = Math.min(8, Math.max(0, Math.ceil(-Math.log10(tickStep) + 0.3) + 1));
  const maxVolume = useMemo(() => visible.reduce((m, r) => Math.max(m, r.volume), 0), [visible]);

  // Markers and levels snap to the candle that contains their time, so they sit on aggregated bars too.
  const step = timestamps.length > 1 ? timestamps[1]! - timestamps[0]! : 0;
  const snap = (t: number): number | undefined => {
    const i = candleIndexAt(timestamps, t);
    if (i < 0 || (i === timestamps.length - 1 && t >= timestamps[i]! + step)) return undefined;
    return timestamps[i];
  };
  const zoomed = view.start > 0 || view.end < rows.length;
  const windowTo = last + step;

  useEffect(() => {
    if (visible.length > 0) onVisibleChange?.({ bars: visible.length, from: first, to: windowTo });
  }, [visible.length, first, windowTo]);

  useEffect(() => {
    if (!autoLoadDetail || !onLoadDetail || !zoomed || visible.length < 2) return;
    const t = setTimeout(() => onLoadDetail(first, windowTo), DETAIL_DELAY_MS);
    return () => clearTimeout(t);
  }, [autoLoadDetail, zoomed, first, windowTo]);
  // Dense trade histories get smaller dots so the candles stay readable.
  const markerRadius = markers.length > 60 ? 3 : markers.length > 20 ? 4 : 5;

  return (
    <div
      ref={wrapRef}
      className="chart-wrap"
      data-testid={testId}
      data-bars={visible.length}
      data-markers={markers.length}
      data-price-lo={lo}
      data-price-hi={hi}
      data-from={first}
      data-to={windowTo}
      onMouseDown={onMouseDown}
      onMouseMove={onMouseMove}
      onMouseUp={endDrag}
      onMouseLeave={endDrag}
      onDoubleClick={() => setView({ start: 0, end: rows.length })}
      data-lines={lines.map((l) => l.id).join(' ')}
      data-pane={pane ? pane.label : ''}
      style={{ cursor: drag.current ? 'grabbing' : 'crosshair' }}
    >
      <div style={{ height, position: 'relative' }}>
      <span className="chart-hint" style={{ left: 16, right: 'auto' }}>{zoomed ? 'Double-click to reset · ' : ''}Scroll to zoom · drag to pan</span>
      {zoomed && onLoadDetail && !autoLoadDetail && visible.length > 1 && (
        <button
          type="button"
          className="btn small"
          style={{ position: 'absolute', right: 104, top: 2, zIndex: 1 }}
          data-testid="load-detail"
          onMouseDown={(e) => e.stopPropagation()}
          onClick={() => onLoadDetail(visible[0]!.t, visible[visible.length - 1]!.t + step)}
        >
          Load detail for this window
        </button>
      )}
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={visible} margin={{ top: 26, right: 8, bottom: 0, left: 8 }} barCategoryGap={1}>
          <XAxis
            dataKey="t"
            tickFormatter={(t: number) => formatShortTime(t, span)}
            stroke="var(--border-strong)"
            tick={AXIS_TICK}
            tickLine={false}
            minTickGap={60}
            // Room between the newest candle and the price labels.
            padding={{ left: 2, right: 10 }}
          />
          <YAxis
            yAxisId="price"
            orientation="right"
            domain={[lo, hi]}
            ticks={priceTicks}
            tickFormatter={(v: number) => formatPrice(v, tickDecimals)}
            stroke="var(--border-strong)"
            tick={AXIS_TICK}
            tickLine={false}
            width={86}
            allowDataOverflow
          />
          <Tooltip content={<CandleTooltip />} cursor={{ stroke: 'var(--text-faint)', strokeDasharray: '3 3' }} isAnimationActive={false} />
          {/* An invisible series gives the tooltip its data points; the candles are drawn by CandleLayer. */}
          <Line yAxisId="price" dataKey="close" stroke="none" dot={false} activeDot={false} isAnimationActive={false} />
          {selected && (() => {
            const a = snap(Math.max(selected.from, first));
            const b = snap(Math.min(selected.to, last));
            if (a === undefined || b === undefined || selected.to < first || selected.from > last) return null;
            return <ReferenceArea yAxisId="price" x1={a} x2={b} fill="var(--accent)" fillOpacity={0.1} stroke="var(--accent)" strokeOpacity={0.35} ifOverflow="hidden" className="selected-trade" />;
          })()}
          <CandleLayer rows={visible} maxVolume={maxVolume} />
          {lines.map((l) => (
            <Line
              key={l.id}
              yAxisId="price"
              dataKey={`ind:${l.id}`}
              name={l.label}
              stroke={l.color}
              strokeWidth={1.3}
              strokeDasharray={l.dashed ? '4 3' : undefined}
              dot={false}
              activeDot={false}
              connectNulls={false}
              isAnimationActive={false}
              className="indicator-line"
            />
          ))}
          {levels.map((l) => {
            const a = snap(l.from);
            // An open position's levels run to the newest candle on screen.
            const b = snap(Math.min(l.to, timestamps[timestamps.length - 1] ?? l.to));
            if (a === undefined || b === undefined) return null;
            return (
              <ReferenceLine
                key={l.id}
                yAxisId="price"
                segment={[
                  { x: a, y: l.price },
                  { x: b, y: l.price },
                ]}
                stroke={l.kind === 'tp' ? 'var(--up)' : 'var(--down)'}
                strokeDasharray="5 4"
                strokeWidth={1.2}
                ifOverflow="hidden"
              />
            );
          })}
          {markers.map((m) => {
            const x = snap(m.timestamp);
            if (x === undefined) return null;
            const fill = m.kind === 'entry' ? (m.position === 'long' ? 'var(--accent)' : 'var(--warn)') : m.win ? 'var(--up)' : 'var(--down)';
            return (
              <ReferenceDot
                key={m.id}
                yAxisId="price"
                x={x}
                y={m.price}
                r={selected && m.id.startsWith(selected.id) ? markerRadius + 3 : markerRadius}
                fill={fill}
                stroke="var(--bg)"
                strokeWidth={1.5}
                ifOverflow="hidden"
                className={`marker marker-${m.kind}${selected && m.id.startsWith(selected.id) ? ' marker-selected' : ''}`}
              />
            );
          })}
        </ComposedChart>
      </ResponsiveContainer>
      </div>
      {pane && (
        <div style={{ height: PANE_HEIGHT }} data-testid="indicator-pane">
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={visible} margin={{ top: 4, right: 8, bottom: 0, left: 8 }}>
              <XAxis dataKey="t" hide padding={{ left: 2, right: 10 }} />
              <YAxis orientation="right" domain={[pane.min, pane.max]} ticks={pane.levels} stroke="var(--border-strong)" tick={AXIS_TICK} tickLine={false} width={86} />
              {pane.levels.map((v) => (
                <ReferenceLine key={v} y={v} stroke="var(--border-strong)" strokeDasharray="3 3" />
              ))}
              <Line dataKey="pane" stroke="var(--accent)" strokeWidth={1.3} dot={false} activeDot={false} isAnimationActive={false} className="indicator-line" />
              <text x={14} y={14} fill="var(--text-faint)" fontSize={11}>
                {pane.label}
              </text>
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
    </div>
  );
}
