import type { ReactElement } from 'react';
import { DEFAULT_ACCOUNT, type RunDetail, type RunStats } from '../../../../shared/contract/domain';
import { formatDuration, formatInt, formatPercent, signClass } from '../../lib/format';

const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
export const formatMoney = (v: number | undefined | null): string => (v === undefined || v === null || !Number.isFinite(v) ? '—' : money.format(v));
const ratio = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));
const pct = (v: number | null | undefined): string => formatPercent(v);
const minutes = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : formatDuration(v * 60_000));

/** The run's account and costs as it was started; the defaults when the request named none. */
export function runSettings(run: RunDetail): { startingBalance: number; positionSizePercent: number; feePercent: number; slippagePercent: number } {
  return {
    startingBalance: run.request.account?.startingBalance ?? DEFAULT_ACCOUNT.startingBalance,
    positionSizePercent: run.request.account?.positionSizePercent ?? DEFAULT_ACCOUNT.positionSizePercent,
    feePercent: run.request.costs.feePercent,
    slippagePercent: run.request.costs.slippagePercent,
  };
}

interface Item {
  key: string;
  label: string;
  value: string;
  cls?: string;
  title?: string;
}

function headline(s: RunStats | undefined, open: number): Item[] {
  return [
    { key: 'trades', label: 'Trades', value: formatInt(s?.trades), title: `Closed trades${open ? `; ${open} still open (not counted)` : ''}` },
    { key: 'winrate', label: 'Win rate', value: s?.winRate === null || s?.winRate === undefined ? '—' : `${(s.winRate * 100).toFixed(1)}%` },
    { key: 'return', label: 'Return', value: pct(s?.returnPercent), cls: signClass(s?.returnPercent), title: 'Compounded: each trade risks the position size of the balance at that moment' },
    { key: 'balance', label: 'Final balance', value: formatMoney(s?.finalBalance), cls: signClass(s && s.finalBalance !== undefined && s.startingBalance !== undefined ? s.finalBalance - s.startingBalance : undefined) },
    { key: 'drawdown', label: 'Max drawdown', value: s?.equityMaxDrawdownPercent === undefined ? '—' : `${s.equityMaxDrawdownPercent.toFixed(2)}%`, cls: (s?.equityMaxDrawdownPercent ?? 0) > 0 ? 'down' : '', title: 'Largest fall of the compounded balance from its previous peak' },
    { key: 'sum', label: 'Sum of trade PnL', value: pct(s?.totalPnlPercent), cls: signClass(s?.totalPnlPercent), title: 'backtest-kit’s totalPnl: per-trade PnL % added up, not compounded' },
    { key: 'profit-factor', label: 'Profit factor', value: ratio(s?.profitFactor) },
    { key: 'wins-losses', label: 'Wins / losses', value: s ? `${s.wins} / ${s.losses}` : '—' },
  ];
}

function detail(s: RunStats | undefined): Item[] {
  return [
    { key: 'sharpe', label: 'Sharpe', value: ratio(s?.sharpeRatio), title: 'Mean over standard deviation of trade PnL (needs 10 trades)' },
    { key: 'annualized-sharpe', label: 'Annualized Sharpe', value: ratio(s?.annualizedSharpeRatio), title: 'Needs 10 trades over 14 days and at most 365 trades a year' },
    { key: 'sortino', label: 'Sortino', value: ratio(s?.sortinoRatio) },
    { key: 'calmar', label: 'Calmar', value: ratio(s?.calmarRatio) },
    { key: 'certainty', label: 'Certainty ratio', value: ratio(s?.certaintyRatio), title: 'Average win over average loss' },
    { key: 'expectancy', label: 'Expectancy', value: pct(s?.expectancy), cls: signClass(s?.expectancy) },
    { key: 'recovery', label: 'Recovery factor', value: ratio(s?.recoveryFactor) },
    { key: 'yearly', label: 'Expected yearly', value: pct(s?.expectedYearlyReturns), cls: signClass(s?.expectedYearlyReturns) },
    { key: 'avg', label: 'Average PnL', value: pct(s?.avgPnlPercent), cls: signClass(s?.avgPnlPercent) },
    { key: 'median', label: 'Median PnL', value: pct(s?.medianPnlPercent), cls: signClass(s?.medianPnlPercent) },
    { key: 'duration', label: 'Average duration', value: minutes(s?.avgDurationMinutes) },
    { key: 'peak', label: 'Average peak', value: pct(s?.avgPeakPnlPercent), title: 'Best unrealised PnL inside a trade, when recorded' },
    { key: 'fall', label: 'Average fall', value: pct(s?.avgFallPnlPercent), title: 'Worst unrealised PnL inside a trade, when recorded' },
    { key: 'sum-drawdown', label: 'Drawdown of the sum', value: s ? `${s.maxDrawdownPercent.toFixed(2)} pp` : '—', title: 'backtest-kit’s drawdown on the added-up PnL, in percentage points' },
  ];
}

function Grid({ items, testId, small }: { items: Item[]; testId: string; small?: boolean }): ReactElement {
  return (
    <div className={`stats${small ? ' small' : ''}`} data-testid={testId}>
      {items.map((i) => (
        <div className="stat" key={i.key} data-stat={i.key} title={i.title}>
          <div className="k">{i.label}</div>
          <div className={`v ${i.cls ?? ''}`}>{i.value}</div>
        </div>
      ))}
    </div>
  );
}

export function Stats({ run, open }: { run: RunDetail; open: number }): ReactElement {
  const settings = runSettings(run);
  return (
    <>
      <Grid items={headline(run.stats, open)} testId="run-stats" />
      <details className="more-stats" open>
        <summary>
          More statistics <span className="faint">(backtest-kit’s set; ratios need at least 10 trades)</span>
        </summary>
        <Grid items={detail(run.stats)} testId="run-stats-more" small />
      </details>
      <div className="run-settings dim" data-testid="run-settings">
        Starting balance <b className="num">{formatMoney(settings.startingBalance)}</b> · position size <b className="num">{settings.positionSizePercent}%</b> of balance · fee{' '}
        <b className="num">{settings.feePercent}%</b> and slippage <b className="num">{settings.slippagePercent}%</b> per side
      </div>
    </>
  );
}

/** One row per symbol of a multi-symbol run. */
export function SymbolStats({ run }: { run: RunDetail }): ReactElement {
  return (
    <div className="table-scroll">
      <table className="data" data-testid="symbol-stats">
        <thead>
          <tr>
            <th>Symbol</th>
            <th className="num">Trades</th>
            <th className="num">Win rate</th>
            <th className="num">Return</th>
            <th className="num">Max drawdown</th>
            <th className="num">Sum of trade PnL</th>
            <th className="num">Profit factor</th>
            <th className="num">Sharpe</th>
          </tr>
        </thead>
        <tbody>
          {run.symbols.map((symbol) => {
            const s = run.statsBySymbol[symbol];
            return (
              <tr key={symbol} data-symbol={symbol}>
                <td>{symbol}</td>
                <td className="num">{formatInt(s?.trades)}</td>
                <td className="num">{s?.winRate === null || s?.winRate === undefined ? '—' : `${(s.winRate * 100).toFixed(1)}%`}</td>
                <td className={`num ${signClass(s?.returnPercent)}`}>{pct(s?.returnPercent)}</td>
                <td className="num">{s?.equityMaxDrawdownPercent === undefined ? '—' : `${s.equityMaxDrawdownPercent.toFixed(2)}%`}</td>
                <td className={`num ${signClass(s?.totalPnlPercent)}`}>{pct(s?.totalPnlPercent)}</td>
                <td className="num">{ratio(s?.profitFactor)}</td>
                <td className="num">{ratio(s?.sharpeRatio)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
