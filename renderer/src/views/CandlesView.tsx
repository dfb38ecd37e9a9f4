import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { INTERVAL_MS, type Interval } from '../../../shared/candles';
import { call } from '../api/client';
import { CandleChart } from '../components/CandleChart';
import { CoverageStrip } from '../components/CoverageStrip';
import { useCandlePick } from '../components/Shortcuts';
import { Icon } from '../components/icons';
import { Empty, ErrorState, Loading, Panel } from '../components/states';
import { formatBucket, formatInt, formatTime, fromUtcInput, toUtcInput, UTC_INPUT_PLACEHOLDER } from '../lib/format';
import { useAsync, type AsyncState } from '../lib/use-async';
import type { ResponseOf } from '../../../shared/contract/channels';
import { CandleCells, CandleHead } from './candles/CandleRow';
import { DerivedView, derivableFrom } from './candles/DerivedView';
import { DownloadPanel } from './candles/DownloadPanel';
import { ImportPanel } from './candles/ImportPanel';
import { ManagePanel } from './candles/ManagePanel';

const PAGE_SIZE = 50;

interface SeriesKey {
  exchangeName: string;
  symbol: string;
  interval: Interval;
}

interface Range {
  from: number;
  to: number;
}

function CandleTable({ series, range, total }: { series: SeriesKey; range: Range; total?: number }): ReactElement {
  // Keyset pagination: each page starts after the previous page's cursor; the stack lets "Previous" go back.
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  useEffect(() => setCursors([undefined]), [series.exchangeName, series.symbol, series.interval, range.from, range.to]);
  const after = cursors[cursors.length - 1];
  const page = useAsync(
    () => call('candles.page', { ...series, after, from: range.from, to: range.to, limit: PAGE_SIZE, order: 'asc' }),
    [series.exchangeName, series.symbol, series.interval, after, range.from, range.to],
  );
  const index = cursors.length - 1;
  if (page.status === 'loading' && !page.data) return <Loading label="Loading rows…" />;
  if (page.status === 'error' && !page.data) return <ErrorState title="Cannot load rows" error={page.error} onRetry={page.reload} />;
  const data = page.data!;
  if (data.rows.length === 0) return <Empty title="No candles in this range">Widen the range or import more data.</Empty>;
  const firstRow = index * PAGE_SIZE + 1;
  return (
    <>
      <div className="table-scroll" style={{ maxHeight: 420 }}>
        <table className="data" data-testid="candle-table">
          <CandleHead />
          <tbody>
            {data.rows.map((c) => (
              <tr key={c.timestamp}>
                <CandleCells candle={c} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="pager">
        <span className="num" data-testid="candle-page-info">
          Rows {formatInt(firstRow)}–{formatInt(firstRow + data.rows.length - 1)}
          {total !== undefined && ` of ${formatInt(total)}`} · page {index + 1}
        </span>
        <div className="spacer" />
        <button type="button" className="btn small" disabled={index === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <button
          type="button"
          className="btn small"
          disabled={data.nextCursor === null}
          data-testid="candle-next-page"
          onClick={() => setCursors((c) => [...c, data.nextCursor ?? undefined])}
        >
          Next
        </button>
      </div>
    </>
  );
}

type GapsState = AsyncState<ResponseOf<'candles.gaps'>> & { reload(): void };

function Coverage({ series, gaps }: { series: SeriesKey; gaps: GapsState }): ReactElement {
  if (gaps.status === 'loading') return <Loading label="Checking coverage…" />;
  if (gaps.status === 'error') return <ErrorState title="Cannot compute coverage" error={gaps.error} onRetry={gaps.reload} />;
  const g = gaps.data;
  if (g.from === null || g.to === null) return <Empty title="Nothing stored in this range" />;
  const missing = g.missingCandles;
  return (
    <div className="form" data-testid="coverage">
      <div className="stats" style={{ gridTemplateColumns: 'repeat(4, 1fr)' }}>
        <div className="stat">
          <div className="k">Stored</div>
          <div className="v">{formatInt(g.count)}</div>
        </div>
        <div className="stat">
          <div className="k">Expected</div>
          <div className="v">{formatInt(g.count + g.missingCandles)}</div>
        </div>
        <div className="stat">
          <div className="k">Gaps</div>
          <div className={`v ${g.gaps.length ? 'down' : 'up'}`} data-testid="gap-count">
            {formatInt(g.gaps.length)}
          </div>
        </div>
        <div className="stat">
          <div className="k">Missing</div>
          <div className={`v ${missing ? 'down' : ''}`}>{formatInt(missing)}</div>
        </div>
      </div>
      <CoverageStrip first={g.from} last={g.to} gaps={g.gaps} present={g.count} expected={g.count + g.missingCandles} />
      {g.gaps.length > 0 ? (
        <div className="table-scroll" style={{ maxHeight: 180 }}>
          <table className="data" data-testid="gap-table">
            <thead>
              <tr>
                <th>Gap from (UTC)</th>
                <th>To (UTC)</th>
                <th className="num">Missing</th>
              </tr>
            </thead>
            <tbody>
              {g.gaps.map((x) => (
                <tr key={x.from}>
                  <td className="num" style={{ textAlign: 'left' }}>
                    {formatTime(x.from)}
                  </td>
                  <td className="num" style={{ textAlign: 'left' }}>
                    {formatTime(x.to)}
                  </td>
                  <td className="num down">{formatInt(x.missing)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <span className="up">No gaps: every {series.interval} candle in the range is stored.</span>
      )}
    </div>
  );
}

function SeriesChart({ series, range, version, onRange }: { series: SeriesKey; range: Range; version: number; onRange(range: Range): void }): ReactElement {
  const chart = useAsync(() => call('candles.chart', { ...series, from: range.from, to: range.to }), [series.exchangeName, series.symbol, series.interval, range.from, range.to, version]);
  // The footer counts the bars on screen, which zooming and panning change.
  const [visible, setVisible] = useState<{ bars: number; from: number; to: number }>();
  if (chart.status === 'loading') return <Loading label="Loading chart…" />;
  if (chart.status === 'error') return <ErrorState title="Cannot load the chart" error={chart.error} onRetry={chart.reload} />;
  if (chart.data.candles.length === 0) return <Empty title="No candles in this range">Pick another range, or import or download data.</Empty>;
  return (
    <>
      <CandleChart candles={chart.data.candles} height={440} onVisibleChange={setVisible} onLoadDetail={chart.data.aggregated ? (from, to) => onRange({ from, to }) : undefined} />
      <div className="coverage-legend">
        <span className="num" data-testid="chart-bars">
          {formatInt(visible?.bars ?? chart.data.candles.length)} bars
          {visible && visible.bars < chart.data.candles.length && ` of ${formatInt(chart.data.candles.length)} · ${formatTime(visible.from)} → ${formatTime(visible.to)} UTC`}
        </span>
        {chart.data.aggregated && <span data-testid="chart-aggregated">aggregated to {formatBucket(chart.data.bucketMs)} bars (at most 2,000 per chart; zoom the range for detail)</span>}
      </div>
    </>
  );
}

export function CandlesView(): ReactElement {
  const [version, setVersion] = useState(0);
  // Kept on screen while it reloads: after a delete or backfill the page (and the panel's result) stays.
  const list = useAsync(() => call('candles.symbols', {}), [version], { keepDataOnChange: true });
  const [key, setKey] = useState<SeriesKey>();
  const [rangeInput, setRangeInput] = useState<{ from: string; to: string }>({ from: '', to: '' });
  const [panel, setPanel] = useState<'none' | 'import' | 'download' | 'manage'>('none');
  /** A higher interval built on the fly from the stored one ('' = the stored candles themselves). */
  const [viewAs, setViewAs] = useState<Interval | ''>('');

  const series = useMemo(() => (list.data?.series ?? []).filter((s) => s.count > 0), [list.data]);
  // A series picked in the command palette.
  const picked = useCandlePick((s) => s.pick);
  useEffect(() => {
    if (picked) setKey(picked);
  }, [picked]);
  const current = series.find((s) => key && s.exchangeName === key.exchangeName && s.symbol === key.symbol && s.interval === key.interval) ?? series[0];

  // Select the whole stored range of a series when it is picked.
  useEffect(() => {
    if (current && current.first !== null && current.last !== null) {
      setRangeInput({ from: toUtcInput(current.first), to: toUtcInput(current.last + INTERVAL_MS[current.interval]) });
    }
  }, [current?.exchangeName, current?.symbol, current?.interval, current?.first, current?.last]);

  // A derived view belongs to its source series.
  useEffect(() => setViewAs(''), [current?.exchangeName, current?.symbol, current?.interval]);
  const derivable = current ? derivableFrom(current.interval) : [];

  const exchanges = [...new Set(series.map((s) => s.exchangeName))].sort();
  const symbols = [...new Set(series.filter((s) => s.exchangeName === current?.exchangeName).map((s) => s.symbol))].sort();
  const intervals = series.filter((s) => s.exchangeName === current?.exchangeName && s.symbol === current?.symbol).map((s) => s.interval);
  const pick = (patch: Partial<SeriesKey>): void => {
    if (!current) return;
    const next = { exchangeName: current.exchangeName, symbol: current.symbol, interval: current.interval, ...patch };
    const match = series.find((s) => s.exchangeName === next.exchangeName && s.symbol === next.symbol && s.interval === next.interval) ?? series.find((s) => s.exchangeName === next.exchangeName && s.symbol === next.symbol) ?? series.find((s) => s.exchangeName === next.exchangeName);
    if (match) setKey({ exchangeName: match.exchangeName, symbol: match.symbol, interval: match.interval });
  };

  const from = fromUtcInput(rangeInput.from);
  const to = fromUtcInput(rangeInput.to);
  const range = from !== undefined && to !== undefined && to > from ? { from, to } : undefined;
  const refresh = (): void => setVersion((v) => v + 1);
  const gaps = useAsync(
    async () => (current && range ? call('candles.gaps', { exchangeName: current.exchangeName, symbol: current.symbol, interval: current.interval, from: range.from, to: range.to }) : Promise.reject(new Error('pick a series and a range'))),
    [current?.exchangeName, current?.symbol, current?.interval, range?.from, range?.to, version],
  );

  const actions = (
    <>
      <button type="button" className="btn" aria-pressed={panel === 'import'} onClick={() => setPanel(panel === 'import' ? 'none' : 'import')}>
        <Icon name="upload" size={14} /> Import
      </button>
      <button type="button" className="btn" aria-pressed={panel === 'download'} onClick={() => setPanel(panel === 'download' ? 'none' : 'download')}>
        <Icon name="download" size={14} /> Download
      </button>
      <button type="button" className="btn" aria-pressed={panel === 'manage'} disabled={!current} onClick={() => setPanel(panel === 'manage' ? 'none' : 'manage')}>
        Export · Delete · Backfill
      </button>
    </>
  );

  return (
    <div className="page" data-testid="candles-view">
      <div className="page-head">
        <h1>Candles</h1>
        <span className="sub">{series.length > 0 ? `${series.length} stored series` : 'Candle history'}</span>
        <div className="spacer" />
        {actions}
      </div>
      {panel === 'import' && (
        <Panel title="Import candles" testId="import-panel">
          <ImportPanel
            exchangeName={current?.exchangeName ?? 'binance'}
            onImported={(r) => {
              setKey({ exchangeName: r.exchangeName, symbol: r.symbol, interval: r.interval });
              refresh();
            }}
          />
        </Panel>
      )}
      {panel === 'download' && (
        <Panel title="Download from an exchange" testId="download-panel">
          <DownloadPanel defaults={{ exchangeName: current?.exchangeName ?? 'binance', symbol: current?.symbol ?? 'BTC/USDT', interval: current?.interval ?? '1m' }} onDownloaded={(s) => {
              setKey(s);
              refresh();
            }}
          />
        </Panel>
      )}
      {panel === 'manage' && current && (
        <Panel title={`Export, delete or backfill ${current.symbol} ${current.interval}`} testId="manage-panel">
          <ManagePanel series={{ exchangeName: current.exchangeName, symbol: current.symbol, interval: current.interval }} range={range} onChanged={refresh} />
        </Panel>
      )}
      {list.status === 'loading' && !list.data ? (
        <Panel>
          <Loading label="Loading stored series…" />
        </Panel>
      ) : list.status === 'error' && !list.data ? (
        <Panel>
          <ErrorState title="Cannot list stored candles" error={list.error} onRetry={list.reload} />
        </Panel>
      ) : !current ? (
        <Panel>
          <Empty
            title="No candles stored yet"
            action={
              <div className="toolbar">
                <button type="button" className="btn primary" onClick={() => setPanel('import')}>
                  <Icon name="upload" size={14} /> Import a file
                </button>
                <button type="button" className="btn" onClick={() => setPanel('download')}>
                  <Icon name="download" size={14} /> Download
                </button>
              </div>
            }
          >
            Import a Binance CSV or ccxt JSON file, or download a range from an exchange. Backtests and charts read from here.
          </Empty>
        </Panel>
      ) : (
        <>
          <div className="toolbar">
            <label className="field">
              <span>Exchange</span>
              <select aria-label="Exchange" value={current.exchangeName} onChange={(e) => pick({ exchangeName: e.target.value })}>
                {exchanges.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Symbol</span>
              <select aria-label="Symbol" value={current.symbol} onChange={(e) => pick({ symbol: e.target.value })}>
                {symbols.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Interval</span>
              <select aria-label="Interval" value={current.interval} onChange={(e) => pick({ interval: e.target.value as Interval })}>
                {intervals.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>View as</span>
              <select aria-label="View as" value={viewAs} onChange={(e) => setViewAs(e.target.value as Interval | '')} disabled={derivable.length === 0}>
                <option value="">{current.interval} (stored)</option>
                {derivable.map((x) => (
                  <option key={x} value={x}>
                    {x} built from {current.interval}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>From (UTC)</span>
              <input aria-label="From" className="num utc-input" placeholder={UTC_INPUT_PLACEHOLDER} spellCheck={false} value={rangeInput.from} onChange={(e) => setRangeInput({ ...rangeInput, from: e.target.value })} />
            </label>
            <label className="field">
              <span>To (UTC)</span>
              <input aria-label="To" className="num utc-input" placeholder={UTC_INPUT_PLACEHOLDER} spellCheck={false} value={rangeInput.to} onChange={(e) => setRangeInput({ ...rangeInput, to: e.target.value })} />
            </label>
            <div className="spacer" />
            <span className="dim num" style={{ paddingBottom: 7 }}>
              {formatInt(current.count)} stored · {formatTime(current.first)} → {formatTime(current.last)}
            </span>
          </div>
          {!range ? (
            <Panel>
              <ErrorState title="Invalid range" error="“To” must be after “From”." />
            </Panel>
          ) : (
            <>
              {viewAs ? (
                <Panel title={`${current.symbol} · ${viewAs} derived from ${current.interval} · ${current.exchangeName}`} flush>
                  <div style={{ padding: '4px 10px 10px' }}>
                    <DerivedView
                      key={`${current.exchangeName}|${current.symbol}|${current.interval}|${viewAs}|${range.from}|${range.to}`}
                      exchangeName={current.exchangeName}
                      symbol={current.symbol}
                      source={current.interval}
                      target={viewAs}
                      range={range}
                      version={version}
                    />
                  </div>
                </Panel>
              ) : (
                <Panel title={`${current.symbol} · ${current.interval} · ${current.exchangeName}`} flush>
                  <div style={{ padding: '4px 10px 10px' }}>
                    <SeriesChart series={current} range={range} version={version} onRange={(r) => setRangeInput({ from: toUtcInput(r.from), to: toUtcInput(r.to) })} />
                  </div>
                </Panel>
              )}
              <div className="grid-2" style={{ gridTemplateColumns: 'minmax(0, 2fr) minmax(0, 3fr)', alignItems: 'start' }}>
                <Panel title="Coverage">
                  <Coverage series={current} gaps={gaps} />
                </Panel>
                <Panel title="Candles" flush>
                  <CandleTable series={current} range={range} total={gaps.status === 'ready' ? gaps.data.count : undefined} />
                </Panel>
              </div>
            </>
          )}
        </>
      )}
    </div>
  );
}
