import { useState, type ReactElement } from 'react';
import { INTERVAL_MS, INTERVALS, type Interval } from '../../../../shared/candles';
import { call } from '../../api/client';
import { CandleChart } from '../../components/CandleChart';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatBucket, formatInt, formatTime } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { CandleCells, CandleHead } from './CandleRow';

/** Intervals offered to build on the fly (the exchanges' usual chart intervals). */
const OFFERED: readonly Interval[] = ['5m', '15m', '30m', '1h', '4h', '1d'];

/** Higher intervals that whole `source` candles make up. */
export function derivableFrom(source: Interval): Interval[] {
  const s = INTERVAL_MS[source];
  return INTERVALS.filter((i) => OFFERED.includes(i) && INTERVAL_MS[i] > s && INTERVAL_MS[i] % s === 0);
}

const PAGE = 50;

interface Props {
  exchangeName: string;
  symbol: string;
  /** Stored interval the bars are built from. */
  source: Interval;
  target: Interval;
  range: { from: number; to: number };
  version: number;
}

/**
 * A higher interval built from the stored finer candles (15m from 1m), labelled as derived: the
 * core folds the stored candles into bars that start on the interval's boundaries (UTC). A bar
 * missing some of its source candles is built from those that exist and flagged as partial
 * ("12 of 15"); a bar with none is left out, so a gap stays a gap.
 */
export function DerivedView({ exchangeName, symbol, source, target, range, version }: Props): ReactElement {
  const derived = useAsync(
    () => call('candles.derived', { exchangeName, symbol, interval: target, source, from: range.from, to: range.to }),
    [exchangeName, symbol, source, target, range.from, range.to, version],
  );
  const [page, setPage] = useState(0);
  if (derived.status === 'loading') return <Loading label={`Building ${target} bars from ${source}…`} />;
  if (derived.status === 'error') return <ErrorState title={`Cannot build ${target} bars`} error={derived.error} onRetry={derived.reload} />;
  const d = derived.data;
  if (d.candles.length === 0) return <Empty title="No candles in this range">Pick another range.</Empty>;
  const rows = d.aggregated ? [] : d.candles.slice(page * PAGE, (page + 1) * PAGE);
  const pages = Math.ceil(d.candles.length / PAGE);
  return (
    <div data-testid="derived-view">
      <div className="result ok" role="note" data-testid="derived-label" style={{ marginBottom: 8 }}>
        Derived: {target} bars built from the stored {source} candles on the fly (not stored), each starting on a {target} boundary (UTC).{' '}
        {d.partial > 0 ? (
          <span data-testid="derived-partial">
            {formatInt(d.partial)} partial {d.partial === 1 ? 'bar' : 'bars'}: built from fewer than {formatInt(d.expected)} {source} candles (a gap, or the series starting or ending inside it); bars with none are left out.
          </span>
        ) : (
          <span data-testid="derived-partial">Every bar is complete ({formatInt(d.expected)} {source} candles each).</span>
        )}
      </div>
      <CandleChart candles={d.candles} height={400} testId="derived-chart" />
      <div className="coverage-legend">
        <span className="num" data-testid="derived-bars">
          {formatInt(d.candles.length)} bars · {formatTime(d.from)} → {formatTime(d.to)} UTC
        </span>
        {d.aggregated && <span>aggregated to {formatBucket(d.bucketMs)} bars (at most 2,000 per chart; narrow the range to see single {target} bars)</span>}
      </div>
      {!d.aggregated && (
        <>
          <div className="table-scroll" style={{ maxHeight: 360 }}>
            <table className="data" data-testid="derived-table">
              <CandleHead extra={<th className="num">From {source}</th>} />
              <tbody>
                {rows.map((c) => (
                  <tr key={c.timestamp} data-partial={c.count < d.expected}>
                    <CandleCells
                      candle={c}
                      extra={
                        <td className={`num ${c.count < d.expected ? 'down' : 'dim'}`}>
                          {c.count < d.expected ? `partial: ${c.count} of ${d.expected}` : `${c.count}`}
                        </td>
                      }
                    />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <div className="pager">
              <span className="num">
                Bars {formatInt(page * PAGE + 1)}–{formatInt(page * PAGE + rows.length)} of {formatInt(d.candles.length)}
              </span>
              <div className="spacer" />
              <button type="button" className="btn small" disabled={page === 0} onClick={() => setPage(page - 1)}>
                Previous
              </button>
              <button type="button" className="btn small" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                Next
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
